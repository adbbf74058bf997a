import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';

const requestScope = new AsyncLocalStorage<{ requestId: string }>();
/** A client's own id is kept only when it cannot smuggle anything into a log line. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Gives every HTTP request an id, the client's `X-Request-Id` when sane, else a new UUID; echoes
 * it in the response and makes it visible to every log line written while the request runs.
 */
export const assignRequestId: RequestHandler = (req, res, next) => {
  const given = req.headers['x-request-id'];
  const requestId = typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : randomUUID();
  res.setHeader('X-Request-Id', requestId);
  requestScope.run({ requestId }, next);
};

/** For the logger's mixin: the id of the request whose work is running, if any. */
export function currentRequestId(): { requestId?: string } {
  const scope = requestScope.getStore();
  return scope ? { requestId: scope.requestId } : {};
}
