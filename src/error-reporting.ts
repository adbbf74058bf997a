import type { ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type ExecutionResult, type FormattedExecutionResult, type GraphQLFormattedError } from 'graphql';
import type { Config } from './config.js';
import { ErrorCode } from './errors.js';
import { limitCodeOf } from './graphql-limits.js';
import type { Logger } from './logger.js';

/** Logs, with the request's id, every error of an HTTP operation that is not one the server meant a client to read. */
export function logUnexpectedErrors(logger: Logger): ApolloServerPlugin<{ requestId: string | undefined }> {
  // One listener for every request, rather than one made per request.
  const listener = { didEncounterErrors: async ({ errors, contextValue }: { errors: readonly GraphQLError[]; contextValue: { requestId: string | undefined } }) => logUnexpected(logger, errors, contextValue.requestId) };
  return { requestDidStart: async () => listener };
}

/**
 * An operation's result over WebSocket, its errors logged and formatted as Apollo does both for HTTP;
 * graphql-ws would otherwise send a crash's message (a failed query, with its SQL) as it is.
 */
export function reportSocketErrors(result: ExecutionResult, logger: Logger, nodeEnv: Config['nodeEnv']): FormattedExecutionResult | undefined {
  if (!result.errors) return undefined;
  logUnexpected(logger, result.errors, undefined);
  return { ...result, errors: result.errors.map((error) => formatError(error.toJSON(), error, nodeEnv)) };
}

function logUnexpected(logger: Logger, errors: readonly GraphQLError[], requestId: string | undefined): void {
  for (const error of errors) {
    if (isMeantForClient(error)) continue;
    logger.error({ err: unwrapResolverError(error), path: error.path, requestId }, 'unexpected error');
  }
}

/**
 * Errors the server did not mean a client to read reach it as a generic message; only in
 * development do they keep their message and stack trace. `logUnexpectedErrors` logs them in full.
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown, nodeEnv: Config['nodeEnv']): GraphQLFormattedError {
  if (isMeantForClient(error)) return withLimitCode(withoutStacktrace(formatted), error as GraphQLError);
  if (nodeEnv === 'development') return formatted;
  return { message: 'Internal server error.', path: formatted.path, extensions: { code: ErrorCode.InternalServerError } };
}

/** A GraphQLError raised on purpose (ours, or GraphQL's own syntax and validation errors), not one wrapping a crash. */
function isMeantForClient(error: unknown): boolean {
  return error instanceof GraphQLError && (!error.originalError || error.originalError instanceof GraphQLError);
}

function withLimitCode(formatted: GraphQLFormattedError, error: GraphQLError): GraphQLFormattedError {
  const code = limitCodeOf(error);
  return code ? { ...formatted, extensions: { ...formatted.extensions, code } } : formatted;
}

function withoutStacktrace(formatted: GraphQLFormattedError): GraphQLFormattedError {
  if (!formatted.extensions?.stacktrace) return formatted;
  const { stacktrace: _stacktrace, ...extensions } = formatted.extensions;
  return { ...formatted, extensions };
}
