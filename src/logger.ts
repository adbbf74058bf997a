import { pino, type DestinationStream, type Logger } from 'pino';
import type { Config } from './config.js';

export type { Logger };

/**
 * JSON-lines logger. Credentials never reach it: nothing logs a request body or an
 * Authorization header, and these paths are censored as a second line of defence.
 */
export function createLogger(config: Pick<Config, 'logLevel'>, destination?: DestinationStream): Logger {
  return pino({
    level: config.logLevel,
    redact: {
      paths: ['password', '*.password', 'token', '*.token', 'accessToken', 'refreshToken', 'authorization', '*.authorization'],
      censor: '[redacted]',
    },
  }, destination);
}
