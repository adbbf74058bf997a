import { GraphQLError } from 'graphql';

/** The one list of error codes a client can see in `extensions.code`. */
export enum ErrorCode {
  Unauthenticated = 'UNAUTHENTICATED',
  BadUserInput = 'BAD_USER_INPUT',
  NotFound = 'NOT_FOUND',
  EmailTaken = 'EMAIL_TAKEN',
  InvalidCredentials = 'INVALID_CREDENTIALS',
  InternalServerError = 'INTERNAL_SERVER_ERROR',
  /** Too many failed password checks for this email and address, or this address. */
  RateLimited = 'RATE_LIMITED',
  /** Sudo mode: the current session must prove the password again. */
  ReauthenticationRequired = 'REAUTHENTICATION_REQUIRED',
  /** A WebSocket already runs as many operations as it may. */
  SubscriptionLimitReached = 'SUBSCRIPTION_LIMIT_REACHED',
  /** The HTTP request itself is unusable: not JSON, too large, malformed. */
  BadRequest = 'BAD_REQUEST',
  /** A browser page on an origin outside CORS_ORIGINS (HTTP 403, or the WebSocket upgrade refused with 403). */
  OriginNotAllowed = 'ORIGIN_NOT_ALLOWED',
  /** The document is not GraphQL (Apollo's code, used over WebSocket too). */
  GraphqlParseFailed = 'GRAPHQL_PARSE_FAILED',
  /** The operation does not fit the schema (Apollo's code, used over WebSocket too). */
  GraphqlValidationFailed = 'GRAPHQL_VALIDATION_FAILED',
  /** Selections nest deeper than GRAPHQL_MAX_DEPTH. */
  QueryTooDeep = 'QUERY_TOO_DEEP',
  /** More aliases than GRAPHQL_MAX_ALIASES. */
  TooManyAliases = 'TOO_MANY_ALIASES',
  /** More directives than GRAPHQL_MAX_DIRECTIVES. */
  TooManyDirectives = 'TOO_MANY_DIRECTIVES',
  /** A document of more than GRAPHQL_MAX_TOKENS tokens; parsing stops there. */
  TooManyTokens = 'TOO_MANY_TOKENS',
  /** A document of more fields, fragment spreads and inline fragments than GRAPHQL_MAX_SELECTIONS. */
  TooManySelections = 'TOO_MANY_SELECTIONS',
  /** An operation whose computed cost exceeds GRAPHQL_MAX_COST. */
  QueryTooCostly = 'QUERY_TOO_COSTLY',
}

/** Base of every error the server means a client to read. */
export abstract class AppError extends GraphQLError {
  constructor(message: string, code: ErrorCode, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { code, ...extensions } });
  }
}

export class UnauthenticatedError extends AppError {
  /** `reason`: how the session ended, when the caller's credential is one of a session that has (see refreshSession). */
  constructor(message = 'Not signed in, or the session has ended.', reason?: string) {
    super(message, ErrorCode.Unauthenticated, { http: { status: 401 }, ...(reason ? { reason } : {}) });
  }
}

/** One bad field of a request: its path from the argument (`input.email`, `input.device.deviceName`, `newPassword`), and what is wrong. */
export interface InputProblem {
  field: string;
  message: string;
}

/**
 * Every bad field of a request in one error: `extensions.problems` lists them, `extensions.fields`
 * their paths, `extensions.field` the first. The message joins the problems' messages.
 */
export class BadUserInputError extends AppError {
  constructor(problems: readonly [InputProblem, ...InputProblem[]]) {
    const fields = [...new Set(problems.map((problem) => problem.field))];
    super(problems.map((problem) => problem.message).join('; '), ErrorCode.BadUserInput, { field: fields[0], fields, problems });
  }
}

export class NotFoundError extends AppError {
  constructor(message: string) {
    super(message, ErrorCode.NotFound);
  }
}

export class EmailTakenError extends AppError {
  constructor() {
    super('An account with this email already exists.', ErrorCode.EmailTaken);
  }
}

export class InvalidCredentialsError extends AppError {
  constructor() {
    super('Invalid email or password.', ErrorCode.InvalidCredentials);
  }
}

export class SubscriptionLimitReachedError extends AppError {
  constructor(limit: number) {
    super(`At most ${limit} operations may run at once on one connection.`, ErrorCode.SubscriptionLimitReached);
  }
}

export class BadRequestError extends AppError {
  constructor(message: string) {
    super(message, ErrorCode.BadRequest, { http: { status: 400 } });
  }
}

export class RateLimitedError extends AppError {
  constructor(retryAfterSeconds: number) {
    super(`Too many failed attempts. Try again in ${retryAfterSeconds} s.`, ErrorCode.RateLimited, { retryAfterSeconds });
  }
}

export class ReauthenticationRequiredError extends AppError {
  constructor() {
    super('Ending another session needs a recent password check: call reauthenticate first.', ErrorCode.ReauthenticationRequired);
  }
}
