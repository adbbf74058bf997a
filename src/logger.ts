import { pino, type DestinationStream, type Logger } from 'pino';
import type { Config } from './config.js';
import { serializeError } from './log-errors.js';

export type { Logger };

/**
 * JSON-lines logger. Credentials never reach it: nothing logs a request body or an
 * Authorization header, these paths are censored as a second line of defence, and an `err`
 * keeps only what says what failed (see log-errors.ts), never a failed query's parameters.
 */
export function createLogger(config: Pick<Config, 'logLevel'>, destination?: DestinationStream): Logger {
  return pino({
    level: config.logLevel,
    serializers: { err: serializeError },
    redact: {
      paths: ['password', '*.password', 'token', '*.token', 'accessToken', 'refreshToken', 'authorization', '*.authorization'],
      censor: '[redacted]',
    },
  }, destination);
}
