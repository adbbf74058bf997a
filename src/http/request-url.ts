import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Config } from '../config.js';
import { proxyTrustOf } from '../devices/client-ip.js';

/** The URL of a request as its client addressed it: scheme, host and path, without the query. */
export type RequestUrlResolver = (request: IncomingMessage) => string;

/**
 * The URL a client sent a request to, as a DPoP proof's `htu` names it: the scheme and host it
 * used, which behind a trusted proxy (TRUST_PROXY) are the proxy's `X-Forwarded-Proto` and
 * `X-Forwarded-Host`, and never an untrusted peer's.
 */
export function createRequestUrlResolver(trustProxy: Config['trustProxy']): RequestUrlResolver {
  const trust = proxyTrustOf(trustProxy);
  return (request) => {
    const isEncrypted = (request.socket as TLSSocket).encrypted === true;
    const isFromProxy = request.socket.remoteAddress !== undefined && trust(request.socket.remoteAddress, 0);
    const scheme = (isFromProxy && firstOf(request.headers['x-forwarded-proto'])) || (isEncrypted ? 'https' : 'http');
    const host = (isFromProxy && firstOf(request.headers['x-forwarded-host'])) || request.headers.host || 'localhost';
    const path = (request.url ?? '/').split('?')[0];
    return `${scheme.toLowerCase()}://${host}${path}`;
  };
}

/** The first of a comma-separated header's values. */
function firstOf(value: string | string[] | undefined): string | undefined {
  const first = (Array.isArray(value) ? value[0] : value)?.split(',')[0]?.trim();
  return first || undefined;
}
