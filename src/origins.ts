import type { IncomingMessage } from 'node:http';
import cors from 'cors';
import type { RequestHandler } from 'express';
import { ErrorCode } from './errors.js';

/**
 * Whether a browser page on `origin` may use the API. Requests without an `Origin` (native apps,
 * servers, curl) are not a browser's cross-site requests and pass; so does the server's own origin
 * (the explorer), judged by the `Host` the request came in on.
 */
export function isAllowedOrigin(request: Pick<IncomingMessage, 'headers'>, allowed: readonly string[]): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  if (allowed.includes(origin)) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

/**
 * CORS for the allowlist, and a 403 for any other origin: a browser would refuse to read the answer
 * anyway, and refusing before the operation runs means a simple cross-site request changes nothing.
 */
export function allowOrigins(allowed: readonly string[]): RequestHandler[] {
  const refuseOthers: RequestHandler = (req, res, next) => {
    if (isAllowedOrigin(req, allowed)) return next();
    res.status(403).json({ errors: [{ message: 'This origin is not allowed (CORS_ORIGINS).', extensions: { code: ErrorCode.OriginNotAllowed } }] });
  };
  const headers = cors({
    origin: [...allowed],
    methods: ['GET', 'POST'],
    // Every header a client of ours sends; X-Device-Id is a source of the session's deviceId.
    allowedHeaders: ['Authorization', 'Content-Type', 'X-Device-Id', 'X-Request-Id', 'Apollo-Require-Preflight', 'X-Apollo-Operation-Name'],
    exposedHeaders: ['X-Request-Id'],
    // Cookie mode from a page on another allowed origin (fetch with credentials: 'include').
    credentials: true,
    maxAge: 600,
  });
  return [refuseOthers, headers];
}
