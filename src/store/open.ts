/**
 * Chooses the store from the configuration: the shared PostgreSQL database when DATABASE_URL is set
 * (several instances, several hosts), else the SQLite file at DATABASE_PATH (one host).
 */
import path from 'node:path';
import type { Config } from '../config';
import { openPostgresStore, redactDatabaseUrl, type PostgresStoreOptions } from './postgres';
import { openSqliteStore, type SqliteStoreOptions } from './sqlite';
import type { Store } from './store';

/** The settings that choose the store. */
export type StoreConfig = Pick<Config, 'databaseUrl' | 'databasePath'>;

/** Options passed to the chosen backend. */
export interface OpenStoreOptions {
  readonly sqlite?: SqliteStoreOptions;
  readonly postgres?: PostgresStoreOptions;
}

/** Whether `config` selects PostgreSQL. */
export function usesPostgres(config: StoreConfig): config is StoreConfig & { readonly databaseUrl: string } {
  return config.databaseUrl !== undefined && config.databaseUrl !== '';
}

/**
 * Where the store is, for messages and logs: the SQLite file's absolute path, or the PostgreSQL URL
 * without its password.
 */
export function describeStore(config: StoreConfig): string {
  return usesPostgres(config) ? redactDatabaseUrl(config.databaseUrl) : path.resolve(config.databasePath);
}

/**
 * Opens the PostgreSQL store when `databaseUrl` is set, else the SQLite store at `databasePath`, and
 * applies pending migrations (unless the options say otherwise).
 */
export function openStore(config: StoreConfig, options: OpenStoreOptions = {}): Promise<Store> {
  return usesPostgres(config) ? openPostgresStore(config.databaseUrl, options.postgres) : openSqliteStore(config.databasePath, options.sqlite);
}
