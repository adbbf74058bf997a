import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A client's own id is kept only when it cannot smuggle anything into a log line. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

// Carried explicitly (request → context → RequestOrigin → log line), not in an AsyncLocalStorage:
// on Node 20 that hooks every promise, and cost a fifth of the authenticated query's throughput.
// On the request itself under a symbol of this module: cheaper than a WeakMap, and no one else's.
const REQUEST_ID = Symbol('requestId');
type WithRequestId = IncomingMessage & { [REQUEST_ID]?: string };

/** Gives every HTTP request an id, the client's `X-Request-Id` when sane, else a new UUID, and echoes it. */
export function assignRequestId(request: IncomingMessage, response: ServerResponse): void {
  const given = request.headers['x-request-id'];
  const requestId = typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : randomUUID();
  (request as WithRequestId)[REQUEST_ID] = requestId;
  response.setHeader('X-Request-Id', requestId);
}

/** The id `assignRequestId` gave this request; none for a WebSocket upgrade. */
export function requestIdOf(request: IncomingMessage): string | undefined {
  return (request as WithRequestId)[REQUEST_ID];
}
