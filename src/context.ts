import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AccountService } from './auth/account-service.js';
import { isServiceKey, type ServiceCaller, type ServiceKeyCheck, type ServiceKeys } from './auth/service-keys.js';
import type { RequestOrigin, SecurityEvents } from './auth/security-events.js';
import type { SessionService } from './auth/session-service.js';
import type { UserAdmin } from './auth/user-admin.js';
import type { SessionEnd } from './auth/session-lifetime.js';
import type { AuthCheck, AuthFailure, Authenticated } from './auth/session-shapes.js';
import { readClientHints, type ClientHints } from './devices/client-hints.js';
import type { ClientIpResolver } from './devices/client-ip.js';
import { UnauthenticatedError } from './errors.js';
import { readBearerToken } from './bearer.js';
import { requestIdOf } from './request-id.js';
import { stripControlCharacters } from './text-input.js';
import type { AuthFailureReason, Metrics } from './metrics.js';
import type { Clock } from './clock.js';
import { refreshCookieOf, type RefreshCookie } from './refresh-cookie.js';
import type { LiveConnection } from './realtime/live-connections.js';
import type { WebhookEndpoints } from './events/webhook-endpoints.js';

export interface Services {
  keys: ServiceKeys;
  webhooks: WebhookEndpoints;
  admin: UserAdmin;
  accounts: AccountService;
  sessions: SessionService;
  events: SecurityEvents;
}

/** Who is calling: nobody, somebody whose token or service key failed the check, a checked session, or a trusted backend's key. */
export type AuthState =
  | { status: 'anonymous' }
  | { status: 'rejected'; reason: AuthFailure; ended?: SessionEnd; serviceKey?: ServiceKeyCheck & { ok: false } }
  | ({ status: 'authenticated' } & Authenticated)
  | { status: 'service'; caller: ServiceCaller };

/** What every resolver gets: the caller, where the request came from, and the services. */
export interface Context {
  auth: AuthState;
  ipAddress: string | null;
  userAgent: string | undefined;
  deviceIdHeader: string | undefined;
  /** User-Agent Client Hints, when the client sent any. */
  clientHints: ClientHints | null;
  services: Services;
  /** The HTTP request's id (see request-id.ts), for the log lines written on its behalf. */
  requestId: string | undefined;
  /** The WebSocket connection an operation came over; absent over HTTP. */
  connection?: LiveConnection;
  /** Cookie mode's refresh token cookie; HTTP only, as a socket's messages can neither carry nor set one. */
  refreshCookie?: RefreshCookie;
}

export interface ContextDeps {
  services: Services;
  clientIp: ClientIpResolver;
  /** Where failed token checks, and requests without the token they needed, are counted. */
  authFailures: Metrics['authFailures'];
  /** Dates the refresh cookie's lifetime. */
  clock: Clock;
}

/**
 * Builds the context of an operation. Never throws: a bad token is recorded as `rejected`, and
 * only fields that act as the caller refuse it, so `login` and `refreshSession` still work for a
 * client whose token has died.
 */
export function createContextBuilder({ services, clientIp, authFailures, clock }: ContextDeps) {
  const describe = (request: IncomingMessage) => ({
    ipAddress: clientIp(request),
    userAgent: stripControlCharacters(request.headers['user-agent']),
    deviceIdHeader: stripControlCharacters(firstHeader(request.headers['x-device-id'])),
    clientHints: readClientHints(request.headers),
    services,
    requestId: requestIdOf(request),
  });
  /** Checks an `Authorization` value and counts a failure; no token at all is one only where a session `isRequired`. */
  async function authenticate(header: string | undefined, { isRequired = false } = {}): Promise<AuthState> {
    const auth = await authenticateHeader(services, header);
    if (auth.status === 'rejected') authFailures.inc({ reason: counted(auth.reason) });
    else if (auth.status === 'anonymous' && isRequired) authFailures.inc({ reason: 'missing' });
    return auth;
  }
  return {
    authenticate,
    /** A WebSocket's session, checked again for an operation on it (see `SessionService.recheck`); a failure is counted. */
    async recheck(auth: Authenticated): Promise<AuthState> {
      const state = toAuthState(await services.sessions.recheck(auth));
      if (state.status === 'rejected') authFailures.inc({ reason: counted(state.reason) });
      return state;
    },
    /** An HTTP request, whose access token is checked here, once; `response` carries the refresh cookie. */
    async http(request: IncomingMessage, response: ServerResponse): Promise<Context> {
      const auth = await authenticate(request.headers.authorization);
      // A backend's key that is not (or no longer) good fails the whole request: nothing of it may run.
      if (auth.status === 'rejected' && auth.serviceKey) throw new UnauthenticatedError(`Service key ${auth.serviceKey.reason}.`);
      return { ...describe(request), auth, refreshCookie: refreshCookieOf(request, response, clock) };
    },
    /** An operation over a WebSocket (`request` is its upgrade), whose session the socket server has just checked. */
    socket(request: IncomingMessage, auth: AuthState, connection: LiveConnection): Context {
      return { ...describe(request), auth, connection };
    },
  };
}

export type ContextBuilder = ReturnType<typeof createContextBuilder>;

/** The per-request check of an `Authorization` value, as an HTTP header or a WebSocket connection parameter. */
export async function authenticateHeader({ sessions, keys }: Pick<Services, 'sessions' | 'keys'>, header: string | undefined): Promise<AuthState> {
  if (header === undefined || header === '') return { status: 'anonymous' };
  const token = readBearerToken(header);
  if (!token) return { status: 'rejected', reason: 'malformed' };
  if (isServiceKey(token)) {
    const check = await keys.authenticate(token);
    return check.ok ? { status: 'service', caller: check.caller } : { status: 'rejected', reason: 'invalid', serviceKey: check };
  }
  return toAuthState(await sessions.authenticate(token));
}

function toAuthState(check: AuthCheck): AuthState {
  return check.ok ? { status: 'authenticated', ...check.auth } : { status: 'rejected', reason: check.reason, ended: check.ended };
}

/** A bad signature or an unknown session is, to a client, a token this server never issued: malformed. */
function counted(reason: AuthFailure): AuthFailureReason {
  return reason === 'invalid' ? 'malformed' : reason;
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Where the operation came from, for sessions and security events. */
export function requestOriginOf(context: Context): RequestOrigin {
  return { ipAddress: context.ipAddress, userAgent: context.userAgent, requestId: context.requestId };
}

/** The app's backend calling a field guarded by `@Authorized(scope)`. */
export function serviceCallerOf(context: Context): ServiceCaller {
  if (context.auth.status !== 'service') throw new UnauthenticatedError();
  return context.auth.caller;
}

/** The checked caller of a field guarded by `@Authorized()`. */
export function callerOf(context: Context): Authenticated {
  if (context.auth.status !== 'authenticated') throw new UnauthenticatedError();
  return context.auth;
}
