import { GraphQLError } from 'graphql';
import { DPOP_ALGORITHMS } from './dpop-algorithms.js';

/**
 * The one list of error codes a client can see in `extensions.code`, over HTTP and WebSocket:
 * this server's own, and those Apollo Server puts there itself. The schema's `ErrorCode` enum is
 * built from it and from ERROR_CODE_DESCRIPTIONS (types/error.type.ts).
 */
export enum ErrorCode {
  Unauthenticated = 'UNAUTHENTICATED',
  Forbidden = 'FORBIDDEN',
  BadUserInput = 'BAD_USER_INPUT',
  NotFound = 'NOT_FOUND',
  EmailTaken = 'EMAIL_TAKEN',
  InvalidCredentials = 'INVALID_CREDENTIALS',
  InternalServerError = 'INTERNAL_SERVER_ERROR',
  RateLimited = 'RATE_LIMITED',
  ReauthenticationRequired = 'REAUTHENTICATION_REQUIRED',
  SubscriptionLimitReached = 'SUBSCRIPTION_LIMIT_REACHED',
  BadRequest = 'BAD_REQUEST',
  OriginNotAllowed = 'ORIGIN_NOT_ALLOWED',
  GraphqlParseFailed = 'GRAPHQL_PARSE_FAILED',
  GraphqlValidationFailed = 'GRAPHQL_VALIDATION_FAILED',
  OperationResolutionFailure = 'OPERATION_RESOLUTION_FAILURE',
  PersistedQueryNotFound = 'PERSISTED_QUERY_NOT_FOUND',
  QueryTooDeep = 'QUERY_TOO_DEEP',
  TooManyAliases = 'TOO_MANY_ALIASES',
  TooManyDirectives = 'TOO_MANY_DIRECTIVES',
  TooManyTokens = 'TOO_MANY_TOKENS',
  TooManySelections = 'TOO_MANY_SELECTIONS',
  QueryTooCostly = 'QUERY_TOO_COSTLY',
}

/** What each code tells a client, as the schema documents it: a code without one does not compile. */
export const ERROR_CODE_DESCRIPTIONS: Readonly<Record<ErrorCode, string>> = {
  [ErrorCode.Unauthenticated]:
    'No valid session: no token where one is needed, or one that is malformed, forged, expired, rotated away or revoked. HTTP 401. From refreshSession, `reason` says how the session ended, when it has. ' +
    'A DPoP proof that is missing where a device-bound token or DPOP=required needs one, or is refused, has `reason` INVALID_DPOP_PROOF and the answer `WWW-Authenticate: DPoP error="invalid_dpop_proof"`.',
  [ErrorCode.Forbidden]:
    'A valid credential that may not do this: a service key (`Bearer sk_…`) on a field that acts as a signed-in user, which no key ever does; a user\'s token on a backend\'s field (issueSession, the admin API); a key without the field\'s scope. HTTP 403.',
  [ErrorCode.BadUserInput]:
    'Input out of bounds; nothing was written. `field`, `fields` and `problems` name every bad field of the request by its path from the argument (`input.email`). Also Apollo\'s code for a variable of the wrong type, without those.',
  [ErrorCode.NotFound]: "revokeSession or renameSession on an id that is not one of the caller's active sessions: whether it exists, is someone else's or has ended is not told. For a service key, a webhook endpoint id that does not exist (or, rotating a secret, one of a token format, which has none).",
  [ErrorCode.EmailTaken]: 'signUp with an email that already has an account.',
  [ErrorCode.InvalidCredentials]: 'A wrong email or password (login), or a wrong password (reauthenticate, changePassword); the two are not told apart.',
  [ErrorCode.InternalServerError]: 'Something unexpected: logged on the server with its detail, answered with a generic message. Apollo also uses it for a persisted query whose hash does not match.',
  [ErrorCode.RateLimited]:
    'Too many failed password checks for this email and address, or this address; or too many sign-ups from this address. Refused without checking anything; `retryAfterSeconds` says when to try again.',
  [ErrorCode.ReauthenticationRequired]: 'Sudo mode: ending another session needs a password check within FRESH_AUTH_SECONDS. Call reauthenticate, then retry.',
  [ErrorCode.SubscriptionLimitReached]: 'One more operation on a WebSocket that already runs WS_MAX_SUBSCRIPTIONS of them.',
  [ErrorCode.BadRequest]:
    'The HTTP request is unusable: not JSON (400), the wrong content type (415), too large (413), a batch, a mutation over GET (405), a GET without a preflight header, or a subscription over HTTP.',
  [ErrorCode.OriginNotAllowed]: 'A browser request from an origin outside CORS_ORIGINS: HTTP 403, or the WebSocket upgrade refused with 403.',
  [ErrorCode.GraphqlParseFailed]: 'The document is not GraphQL. HTTP 400; over WebSocket it fails that operation only.',
  [ErrorCode.GraphqlValidationFailed]: 'The operation does not fit the schema, or asks for __schema or __type with INTROSPECTION off. HTTP 400.',
  [ErrorCode.OperationResolutionFailure]: 'The document holds several operations and operationName names none of them (or is missing). HTTP 400.',
  [ErrorCode.PersistedQueryNotFound]: "An automatic persisted query's hash the server has not seen: send it again with its query.",
  [ErrorCode.QueryTooDeep]: 'Selections nest deeper than GRAPHQL_MAX_DEPTH; nothing ran. HTTP 400.',
  [ErrorCode.TooManyAliases]: 'More aliases than GRAPHQL_MAX_ALIASES; nothing ran. HTTP 400.',
  [ErrorCode.TooManyDirectives]: 'More directives than GRAPHQL_MAX_DIRECTIVES; nothing ran. HTTP 400.',
  [ErrorCode.TooManyTokens]: 'A document of more than GRAPHQL_MAX_TOKENS tokens; parsing stopped there. HTTP 400.',
  [ErrorCode.TooManySelections]: 'More fields, fragment spreads and inline fragments than GRAPHQL_MAX_SELECTIONS; nothing ran. HTTP 400.',
  [ErrorCode.QueryTooCostly]: "An operation whose cost exceeds GRAPHQL_MAX_COST; nothing ran. HTTP 400.",
};

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

export class ForbiddenError extends AppError {
  constructor(message: string) {
    super(message, ErrorCode.Forbidden, { http: { status: 403 } });
  }
}

/**
 * A DPoP proof that does not prove what it must (RFC 9449 §7.1): missing where a bound token or
 * DPOP=required needs one, malformed, for another request or key, outside its window, or replayed.
 * HTTP 401 with `WWW-Authenticate: DPoP error="invalid_dpop_proof"`.
 */
export class InvalidDpopProofError extends UnauthenticatedError {
  constructor(description: string) {
    super(`DPoP proof refused: ${description}.`, 'INVALID_DPOP_PROOF');
    const challenge = `DPoP algs="${DPOP_ALGORITHMS.join(' ')}", error="invalid_dpop_proof", error_description="${description.replaceAll('"', "'")}"`;
    this.extensions.http = { status: 401, headers: new Map([['www-authenticate', challenge]]) };
  }
}

/** A field that acts as the caller, asked for without a checked session (the schema's `@Authorized()` check). */
export class SessionRequiredError extends UnauthenticatedError {}

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
