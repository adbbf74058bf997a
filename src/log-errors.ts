import { GraphQLError } from 'graphql';

/**
 * An error as a log line may hold it. A whitelist: query parameters (emails, password and token
 * hashes) and what Postgres quotes back of a row (`detail`, `where`, `hint`) never get in.
 */
export interface LoggedError {
  type: string;
  message: string;
  stack?: string;
  /** A Postgres SQLSTATE (`23514`), or Node's (`ECONNREFUSED`). */
  code?: string;
  constraint?: string;
  table?: string;
  column?: string;
  schema?: string;
  severity?: string;
  routine?: string;
  /** The SQL text, with its `$1` placeholders and never their values. */
  query?: string;
  syscall?: string;
  address?: string;
  port?: number;
  cause?: LoggedError;
  /** An AggregateError's errors. */
  errors?: LoggedError[];
}

/** Deep enough for Drizzle → driver → socket; a cycle of causes stops here. */
const MAX_DEPTH = 4;
const MAX_AGGREGATED = 5;

/** Postgres's fields, as PGlite names them and as postgres.js does. */
const DATABASE_FIELDS = [
  ['constraint', 'constraint_name'],
  ['table', 'table_name'],
  ['column', 'column_name'],
  ['schema', 'schema_name'],
  ['severity', 'severity'],
  ['routine', 'routine'],
] as const;

/** pino's `err` serializer: what went wrong and where, never the values the failed query was given. */
export function serializeError(value: unknown): unknown {
  return value instanceof Error ? describeError(value, 0) : value;
}

function describeError(error: Error, depth: number): LoggedError {
  // Apollo and graphql-js wrap a resolver's error in a GraphQLError that copies its message.
  if (error instanceof GraphQLError && error.originalError && depth < MAX_DEPTH) return describeError(error.originalError, depth + 1);
  const fields = error as unknown as Record<string, unknown>;
  const type = error.constructor?.name || error.name;
  const message = withoutParameters(error.message);
  const logged: LoggedError = { type, message, stack: stackOf(error, `${type}: ${message}`) };
  const code = error instanceof GraphQLError ? error.extensions.code : fields.code;
  if (typeof code === 'string') logged.code = code;
  for (const [name, alias] of DATABASE_FIELDS) {
    const field = fields[name] ?? fields[alias];
    if (typeof field === 'string') logged[name] = field;
  }
  if (typeof fields.query === 'string') logged.query = fields.query;
  if (typeof fields.syscall === 'string') logged.syscall = fields.syscall;
  if (typeof fields.address === 'string') logged.address = fields.address;
  if (typeof fields.port === 'number') logged.port = fields.port;
  if (depth < MAX_DEPTH && error.cause instanceof Error) {
    logged.cause = describeError(error.cause, depth + 1);
    // The driver's error repeats the SQL Drizzle's already names.
    if (logged.cause.query === logged.query) delete logged.cause.query;
  }
  if (depth < MAX_DEPTH && error instanceof AggregateError) {
    logged.errors = error.errors.slice(0, MAX_AGGREGATED).filter((inner) => inner instanceof Error).map((inner) => describeError(inner, depth + 1));
  }
  return logged;
}

/** Drizzle's message ends with `\nparams: <every value, comma-separated>`. */
function withoutParameters(message: string): string {
  return message.replace(/\nparams: [\s\S]*$/, '');
}

/** The stack's frames under a header of our own: V8 starts a stack with the whole message, parameters included. */
function stackOf(error: Error, header: string): string | undefined {
  if (!error.stack) return undefined;
  const frames = error.stack.split('\n').filter((line) => /^\s+at /.test(line));
  return [header, ...frames].join('\n');
}
