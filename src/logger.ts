/**
 * The service's logger (pino, JSON lines on stdout). Call sites log hookInstance, service, status and
 * timings only; as a second line of defence, anything that looks like a credential is redacted.
 */
import pino, { type Logger } from 'pino';
import type { Config } from './config';

export function createLogger(level: Config['logLevel'], destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { app: 'npc-cds' },
    redact: {
      paths: ['authorization', '*.authorization', 'headers', '*.headers', 'access_token', '*.access_token', 'fhirAuthorization', '*.fhirAuthorization', 'token', '*.token'],
      censor: '[redacted]',
    },
  };
  // Asynchronous, bounded stdout (issue 19, item 9): pino's default writes stdout synchronously and retries
  // EAGAIN forever on a pipe nobody reads, blocking the main thread; here lines beyond the buffer are dropped.
  return pino(options, destination ?? pino.destination({ dest: 1, sync: false, minLength: 0, maxLength: 4 * 1024 * 1024 }));
}
