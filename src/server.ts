/**
 * Entry point of `npm start`: reads the configuration, opens the store, builds the app and listens on
 * PORT. Stops cleanly on SIGINT / SIGTERM.
 */
import { buildApp, securityStatus } from './app';
import { ConfigError, loadConfig } from './config';
import { createLogger } from './logger';
import { openSqliteStore } from './store/sqlite';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const store = await openSqliteStore(config.databasePath);
  const app = await buildApp({ config, store, logger });
  const security = securityStatus(config);
  for (const warning of security.warnings) {
    logger.warn({ security: security.mode }, warning);
    process.stderr.write(`\n  WARNING: ${warning}\n\n`);
  }
  const server = app.listen(config.port, config.host, () => {
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : config.port;
    logger.info({ port, host: config.host, security: security.mode, store: store.kind }, 'listening');
    process.stdout.write(`npc-cds CDS Hooks service: http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}/cds-services (security: ${security.mode})\n`);
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 30_000;
  const stop = (signal: string) => {
    logger.info({ signal }, 'stopping');
    server.close(() => {
      void store.close().then(() => process.exit(0));
    });
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  const message = err instanceof ConfigError ? `configuration error: ${err.message}` : err instanceof Error ? err.message : String(err);
  process.stderr.write(`npc-cds could not start: ${message}\n`);
  process.exit(1);
});
