/**
 * Every way this server closes a WebSocket, as a code and a stable reason a client may match on:
 * graphql-ws's `CloseCode` where it has one, a constant of ours where it has not.
 */
import { CloseCode } from 'graphql-ws';
import type { RevocationReason } from '../db/schema.js';

/** The socket has no valid session: graphql-ws's client treats it as final and does not retry. */
export const UNAUTHORIZED_CLOSE_CODE = CloseCode.Unauthorized;
/** No token, a malformed or forged one, or one a refresh replaced before the socket opened. */
export const UNAUTHORIZED_CLOSE_REASON = 'unauthorized';

const SESSION_ENDED_PREFIX = 'session ended: ';

/**
 * Why a socket's session is over (with `UNAUTHORIZED_CLOSE_CODE`): sent after its `sessionRevoked`
 * event, or at `connection_init` when it ended while the client was away. E.g. `session ended: REVOKED`.
 */
export function sessionEndedCloseReason(reason: RevocationReason): string {
  return `${SESSION_ENDED_PREFIX}${reason}`;
}

/** The reason of a `sessionEndedCloseReason` (`REVOKED`), or undefined for any other close reason. */
export function endedSessionReasonOf(closeReason: string): string | undefined {
  return closeReason.startsWith(SESSION_ENDED_PREFIX) ? closeReason.slice(SESSION_ENDED_PREFIX.length) : undefined;
}

/**
 * The access token the socket was opened with has reached its `exp`. graphql-ws has no code for it,
 * and its client does not treat this one as final: it reconnects, with its newest token when
 * `connectionParams` is a function. The session itself may well be alive.
 */
export const TOKEN_EXPIRED_CLOSE_CODE = 4419;
export const TOKEN_EXPIRED_CLOSE_REASON = 'token expired';

/** The server is shutting down (RFC 6455's 1001): reconnect, to another instance if there is one. */
export const GOING_AWAY_CLOSE_CODE = 1001;
export const GOING_AWAY_CLOSE_REASON = 'going away';
