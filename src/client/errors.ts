import type { RevocationReason } from './operations.js';

/** One GraphQL error as the server sends it. */
export interface GraphQLErrorBody {
  message: string;
  path?: ReadonlyArray<string | number>;
  extensions?: Record<string, unknown>;
}

/** Base of every error the client throws for an answer of the server; `code` is `extensions.code`. */
export class SessionClientError extends Error {
  readonly code: string;
  /** The HTTP status of the answer; 0 when there was none (network failure, unreadable body). */
  readonly status: number;
  /** Every error of the answer, as sent. */
  readonly errors: readonly GraphQLErrorBody[];

  constructor(message: string, code: string, status: number, errors: readonly GraphQLErrorBody[] = []) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.errors = errors;
  }
}

/** No valid session. `reason` says why the session ended, when the server knows (a failed refresh). */
export class UnauthenticatedError extends SessionClientError {
  declare readonly code: 'UNAUTHENTICATED';
  readonly reason: RevocationReason | undefined;
  constructor(message: string, status: number, errors: readonly GraphQLErrorBody[] = [], reason?: RevocationReason) {
    super(message, 'UNAUTHENTICATED', status, errors);
    this.reason = reason;
  }
}

/** Too many attempts; try again after `retryAfterSeconds`. */
export class RateLimitedError extends SessionClientError {
  declare readonly code: 'RATE_LIMITED';
  readonly retryAfterSeconds: number;
  constructor(message: string, status: number, errors: readonly GraphQLErrorBody[], retryAfterSeconds: number) {
    super(message, 'RATE_LIMITED', status, errors);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Ending another session needs a recent password check: call `reauthenticate(password)`, then retry. */
export class ReauthenticationRequiredError extends SessionClientError {
  declare readonly code: 'REAUTHENTICATION_REQUIRED';
  constructor(message: string, status: number, errors: readonly GraphQLErrorBody[]) {
    super(message, 'REAUTHENTICATION_REQUIRED', status, errors);
  }
}

/** Not one of the caller's active sessions (or any other thing the caller may not see). */
export class NotFoundError extends SessionClientError {
  declare readonly code: 'NOT_FOUND';
  constructor(message: string, status: number, errors: readonly GraphQLErrorBody[]) {
    super(message, 'NOT_FOUND', status, errors);
  }
}

/** One bad field: its path from the argument (`input.email`), and what is wrong with it. */
export interface InputProblem {
  field: string;
  message: string;
}

/**
 * Input out of bounds; `fields` names the offending ones by their path from the argument
 * (`input.email`, `input.device.deviceName`), `field` the first, `problems` each with its message.
 */
export class BadUserInputError extends SessionClientError {
  declare readonly code: 'BAD_USER_INPUT';
  readonly fields: readonly string[];
  readonly field: string | undefined;
  readonly problems: readonly InputProblem[];
  constructor(message: string, status: number, errors: readonly GraphQLErrorBody[], fields: readonly string[], problems: readonly InputProblem[] = []) {
    super(message, 'BAD_USER_INPUT', status, errors);
    this.fields = fields;
    this.field = fields[0];
    this.problems = problems;
  }
}

/** Every error the client throws, told apart by `code` (any other server code keeps the base class). */
export type ClientError = UnauthenticatedError | RateLimitedError | ReauthenticationRequiredError | NotFoundError | BadUserInputError | SessionClientError;

const REVOCATION_REASONS: readonly string[] = ['LOGOUT', 'REVOKED', 'EXPIRED', 'REFRESH_TOKEN_REUSE', 'PASSWORD_CHANGED', 'SESSION_LIMIT'];

/** The typed error for an answer whose first error is `errors[0]`. */
export function toClientError(errors: readonly GraphQLErrorBody[], status: number): SessionClientError {
  const first = errors[0] ?? { message: `HTTP ${status}` };
  const extensions = first.extensions ?? {};
  const code = typeof extensions.code === 'string' ? extensions.code : status === 401 ? 'UNAUTHENTICATED' : 'UNKNOWN';
  switch (code) {
    case 'UNAUTHENTICATED': {
      const reason = REVOCATION_REASONS.includes(extensions.reason as string) ? (extensions.reason as RevocationReason) : undefined;
      return new UnauthenticatedError(first.message, status, errors, reason);
    }
    case 'RATE_LIMITED':
      return new RateLimitedError(first.message, status, errors, Number(extensions.retryAfterSeconds ?? 0));
    case 'REAUTHENTICATION_REQUIRED':
      return new ReauthenticationRequiredError(first.message, status, errors);
    case 'NOT_FOUND':
      return new NotFoundError(first.message, status, errors);
    case 'BAD_USER_INPUT': {
      const fields = Array.isArray(extensions.fields) ? extensions.fields.filter((field): field is string => typeof field === 'string') : [];
      const problems = Array.isArray(extensions.problems) ? extensions.problems.filter(isInputProblem) : [];
      return new BadUserInputError(first.message, status, errors, fields, problems);
    }
    default:
      return new SessionClientError(first.message, code, status, errors);
  }
}

function isInputProblem(value: unknown): value is InputProblem {
  const problem = value as Partial<InputProblem> | null;
  return typeof problem?.field === 'string' && typeof problem.message === 'string';
}
