import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AccountService } from './auth/account-service.js';
import type { Dpop } from './auth/dpop.js';
import type { ProofTarget } from './auth/dpop-proof.js';
import type { RequestUrlResolver } from './http/request-url.js';
import { isServiceKey, type ServiceCaller, type ServiceKeyCheck, type ServiceKeys } from './auth/service-keys.js';
import type { RequestOrigin, SecurityEvents } from './auth/security-events.js';
import type { SessionService } from './auth/session-service.js';
import type { UserAdmin } from './auth/user-admin.js';
import type { SessionEnd } from './auth/session-lifetime.js';
import type { AuthCheck, AuthFailure, Authenticated } from './auth/session-shapes.js';
import { readClientHints, type ClientHints } from './devices/client-hints.js';
import type { ClientIpResolver } from './devices/client-ip.js';
import { InvalidDpopProofError, UnauthenticatedError } from './errors.js';
import { readAuthorization } from './bearer.js';
import { requestIdOf } from './request-id.js';
import { stripControlCharacters } from './text-input.js';
import type { AuthFailureReason, Metrics } from './metrics.js';
import type { Clock } from './clock.js';
import { refreshCookieOf, type RefreshCookie } from './refresh-cookie.js';
import type { LiveConnection } from './realtime/live-connections.js';
import type { WebhookEndpoints } from './events/webhook-endpoints.js';

export interface Services {
  keys: ServiceKeys;
  dpop: Dpop;
  webhooks: WebhookEndpoints;
  admin: UserAdmin;
  accounts: AccountService;
  sessions: SessionService;
  events: SecurityEvents;
}

/** Who is calling: nobody, somebody whose token or service key failed the check, a checked session, or a trusted backend's key. */
export type AuthState =
  | { status: 'anonymous' }
  | { status: 'rejected'; reason: AuthFailure; ended?: SessionEnd; serviceKey?: ServiceKeyCheck & { ok: false }; dpopError?: string }
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
  /**
   * The device key this request proved it holds with a DPoP proof (RFC 9449), for a sign-in or a
   * refresh to bind to or match; or why its proof was refused, or missing under DPOP=required.
   * Null without a proof. Checked when first asked for: only sign-ins and refreshes ask, so no
   * other request spends a proof's signature check and row.
   */
  deviceKey: () => Promise<DeviceKey>;
}

export type DeviceKey = { ok: true; jkt: string } | { ok: false; reason: string } | null;

export interface ContextDeps {
  services: Services;
  clientIp: ClientIpResolver;
  /** The URL a request's client addressed, which its DPoP proof names. */
  requestUrl: RequestUrlResolver;
  /** DPOP=required: a sign-in without a proof is refused. */
  isDpopRequired: boolean;
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
export function createContextBuilder({ services, clientIp, requestUrl, isDpopRequired, authFailures, clock }: ContextDeps) {
  const describe = (request: IncomingMessage) => ({
    ipAddress: clientIp(request),
    userAgent: stripControlCharacters(request.headers['user-agent']),
    deviceIdHeader: stripControlCharacters(firstHeader(request.headers['x-device-id'])),
    clientHints: readClientHints(request.headers),
    services,
    requestId: requestIdOf(request),
  });
  /** Checks an `Authorization` value (with its DPoP proof) and counts a failure; no token at all is one only where a session `isRequired`. */
  async function authenticate(header: string | undefined, { isRequired = false, proof, target = NO_TARGET }: AuthenticateOptions = {}): Promise<AuthState> {
    const auth = await authenticateHeader(services, header, proof, target);
    if (auth.status === 'rejected') authFailures.inc({ reason: counted(auth.reason) });
    else if (auth.status === 'anonymous' && isRequired) authFailures.inc({ reason: 'missing' });
    return auth;
  }
  /** The key a proof without a bound token proves (one proof is used once: never for a token too). */
  async function proveKey(proof: string | undefined, target: ProofTarget): Promise<DeviceKey> {
    if (proof === undefined) return isDpopRequired ? { ok: false, reason: 'this server binds every session to its device (DPOP=required): send a DPoP proof' } : null;
    const proven = await services.dpop.prove(proof, target);
    return proven.ok ? { ok: true, jkt: proven.jkt } : proven;
  }
  return {
    authenticate,
    /** A WebSocket's session, checked again for an operation on it (see `SessionService.recheck`); a failure is counted. */
    async recheck(auth: Authenticated): Promise<AuthState> {
      const state = toAuthState(await services.sessions.recheck(auth));
      if (state.status === 'rejected') authFailures.inc({ reason: counted(state.reason) });
      return state;
    },
    /**
     * An HTTP request, whose access token is checked here, once, with its DPoP proof; a proof that
     * came without a DPoP-bound token is checked here too, for a sign-in or a refresh (`deviceKey`).
     * `response` carries the refresh cookie.
     */
    async http(request: IncomingMessage, response: ServerResponse): Promise<Context> {
      // Two DPoP headers are joined by Node with a comma, which no proof holds: refused as malformed.
      const proof = [request.headers.dpop ?? []].flat().join(', ') || undefined;
      const target = { method: request.method ?? 'POST', url: requestUrl(request) };
      const authorization = request.headers.authorization;
      const auth = await authenticate(authorization, { proof, target });
      // A backend's key that is not (or no longer) good fails the whole request: nothing of it may run.
      if (auth.status === 'rejected' && auth.serviceKey) throw new UnauthenticatedError(`Service key ${auth.serviceKey.reason}.`);
      const isProofOfToken = authorization !== undefined && readAuthorization(authorization)?.scheme === 'dpop';
      const deviceKey = isProofOfToken ? Promise.resolve(keyOfToken(auth)) : undefined;
      let proven: Promise<DeviceKey> | undefined;
      return { ...describe(request), auth, refreshCookie: refreshCookieOf(request, response, clock), deviceKey: () => deviceKey ?? (proven ??= proveKey(proof, target)) };
    },
    /** An operation over a WebSocket (`request` is its upgrade), whose session the socket server has just checked. */
    socket(request: IncomingMessage, auth: AuthState, connection: LiveConnection): Context {
      // A socket's messages carry no proof of their own: a sign-in or refresh over it binds to nothing.
      const deviceKey: DeviceKey = isDpopRequired ? { ok: false, reason: 'sign in and refresh over HTTP, with a DPoP proof (DPOP=required)' } : null;
      return { ...describe(request), auth, connection, deviceKey: async () => deviceKey };
    },
  };
}

export type ContextBuilder = ReturnType<typeof createContextBuilder>;

export interface AuthenticateOptions {
  isRequired?: boolean;
  /** The request's DPoP proof: the `DPoP` header, or `dpop` in `connection_init`. */
  proof?: string;
  /** The request the proof must name. */
  target?: ProofTarget;
}

const NO_TARGET: ProofTarget = { method: 'POST', url: '' };

/**
 * The per-request check of an `Authorization` value, as an HTTP header or a WebSocket connection
 * parameter: a service key (`Bearer sk_…`), or a session's access token, as `Bearer` or, bound
 * to a device key, as `DPoP` with `proof`.
 */
export async function authenticateHeader(
  { sessions, keys }: Pick<Services, 'sessions' | 'keys'>, header: string | undefined, proof?: string, target: ProofTarget = NO_TARGET,
): Promise<AuthState> {
  if (header === undefined || header === '') return { status: 'anonymous' };
  const presented = readAuthorization(header);
  if (!presented) return { status: 'rejected', reason: 'malformed' };
  if (isServiceKey(presented.token)) {
    if (presented.scheme !== 'bearer') return { status: 'rejected', reason: 'malformed' };
    const check = await keys.authenticate(presented.token);
    return check.ok ? { status: 'service', caller: check.caller } : { status: 'rejected', reason: 'invalid', serviceKey: check };
  }
  return toAuthState(await sessions.authenticate(presented.token, { scheme: presented.scheme, proof, target }));
}

function toAuthState(check: AuthCheck): AuthState {
  return check.ok ? { status: 'authenticated', ...check.auth } : { status: 'rejected', reason: check.reason, ended: check.ended, dpopError: check.dpopError };
}

/** The key of a DPoP-bound token's request: proven by the token check, or refused with it. */
function keyOfToken(auth: AuthState): DeviceKey {
  if (auth.status === 'authenticated') return auth.boundTo ? { ok: true, jkt: auth.boundTo } : null;
  return auth.status === 'rejected' && auth.dpopError ? { ok: false, reason: auth.dpopError } : null;
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
  const { auth } = context;
  if (auth.status === 'rejected' && auth.dpopError) throw new InvalidDpopProofError(auth.dpopError);
  if (auth.status !== 'authenticated') throw new UnauthenticatedError();
  return auth;
}

/** The device key a sign-in or refresh proved with its DPoP proof; null without one; a refused or missing (DPOP=required) proof fails the request. */
export async function deviceKeyOf(context: Context): Promise<string | null> {
  const key = await context.deviceKey();
  if (key && !key.ok) throw new InvalidDpopProofError(key.reason);
  return key?.jkt ?? null;
}
