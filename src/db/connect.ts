import { StartupError } from '../config.js';
import type { Logger } from '../logger.js';
import { openDatabase, type Database, type OpenDatabaseOptions } from './client.js';
import { rootCause } from './errors.js';

/** Failures that mean "not reachable yet" (down, starting, restarting), worth another try. */
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH',
  'CONNECT_TIMEOUT', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED',
  // cannot_connect_now: the server is starting up or shutting down.
  '57P03',
]);
const MAX_RETRY_MS = 5_000;

export class DatabaseUnreachableError extends StartupError {
  override name = 'DatabaseUnreachableError';
}

/**
 * Opens the database, waiting up to `timeoutSeconds` for a Postgres server that is not up yet,
 * with a log line per attempt. Anything else (a wrong password, a missing database) fails at once.
 */
export async function openDatabaseWhenReachable(options: OpenDatabaseOptions, logger: Logger, timeoutSeconds: number): Promise<Database> {
  if (!options.url) return openDatabase(options);
  const where = describeTarget(options.url);
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (let attempt = 0; ; attempt++) {
    try {
      const database = await openDatabase(options);
      if (attempt > 0) logger.info({ database: where }, 'database reachable');
      return database;
    } catch (error) {
      const code = (rootCause(error) as { code?: unknown }).code;
      if (typeof code !== 'string' || !TRANSIENT_CODES.has(code)) {
        throw new DatabaseUnreachableError(`Could not open the database at ${where}: ${describeFailure(error)}`);
      }
      const retryInMs = Math.min(250 * 2 ** attempt, MAX_RETRY_MS, Math.max(0, deadline - Date.now()));
      if (retryInMs <= 0) {
        throw new DatabaseUnreachableError(`Could not reach the database at ${where} within ${timeoutSeconds} s (${code}); is Postgres running?`);
      }
      logger.warn({ database: where, code, retryInMs }, 'database not reachable yet; retrying');
      await new Promise((resolve) => setTimeout(resolve, retryInMs));
    }
  }
}

/**
 * Postgres's own words and SQLSTATE ("relation "users" already exists (42P07)"), and the first line
 * of the statement that failed, never its parameters.
 */
function describeFailure(error: unknown): string {
  const cause = rootCause(error) as Error & { code?: unknown };
  const code = typeof cause.code === 'string' ? ` (${cause.code})` : '';
  const query = (error as { query?: unknown }).query;
  const statement = cause !== error && typeof query === 'string' ? `, in: ${query.trim().split('\n')[0]}` : '';
  return `${cause.message}${code}${statement}`;
}

/** host:port/name, never the user or password. */
function describeTarget(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`;
}
