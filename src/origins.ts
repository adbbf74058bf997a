import type { IncomingMessage, ServerResponse } from 'node:http';
import cors from 'cors';
import { ErrorCode } from './errors.js';
import { sendTransportError } from './http/respond.js';

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
 * The returned check answers refusals and preflights itself and says whether the request goes on.
 */
export function allowOrigins(allowed: readonly string[]): (request: IncomingMessage, response: ServerResponse) => boolean {
  const corsHeaders = cors({
    origin: [...allowed],
    methods: ['GET', 'POST'],
    // Every header a client of ours sends; X-Device-Id is a source of the session's deviceId.
    allowedHeaders: ['Authorization', 'Content-Type', 'X-Device-Id', 'X-Request-Id', 'Apollo-Require-Preflight', 'X-Apollo-Operation-Name'],
    exposedHeaders: ['X-Request-Id'],
    // Cookie mode from a page on another allowed origin (fetch with credentials: 'include').
    credentials: true,
    maxAge: 600,
  });
  return (request, response) => {
    // No CORS headers for a request no browser sent cross-origin: only the fact that they would differ.
    if (request.headers.origin === undefined) {
      response.setHeader('Vary', 'Origin');
      return true;
    }
    if (!isAllowedOrigin(request, allowed)) {
      sendTransportError(response, 403, 'This origin is not allowed (CORS_ORIGINS).', ErrorCode.OriginNotAllowed);
      return false;
    }
    // With options fixed up front, cors calls back at once: `next` for a request that goes on,
    // nothing for a preflight, which it has answered.
    let goesOn = false;
    corsHeaders(request, response, () => { goesOn = true; });
    return goesOn;
  };
}
