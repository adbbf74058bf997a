import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';
import type { Config } from '../config.js';

export type ClientIpResolver = (request: IncomingMessage) => string | null;

/**
 * The address a request came from: the socket's peer, or, behind trusted proxies only,
 * the first address in `X-Forwarded-For` that no trusted proxy added. A client can never
 * choose its own recorded address.
 */
export function createClientIpResolver(trustProxy: Config['trustProxy']): ClientIpResolver {
  if (trustProxy === undefined || trustProxy === 0) {
    return (request) => normalizeIp(request.socket.remoteAddress);
  }
  const trust = proxyTrustOf(trustProxy);
  return (request) => (request.socket.remoteAddress ? normalizeIp(proxyaddr(request, trust)) : null);
}

/**
 * TRUST_PROXY as `proxy-addr` asks it: whether the address at `hop` (0: the socket's peer) is a
 * proxy whose forwarded headers are believed. A hop count trusts that many; names and ranges
 * trust those addresses; unset or 0 trusts none.
 */
export function proxyTrustOf(trustProxy: Config['trustProxy']): (address: string, hop: number) => boolean {
  if (trustProxy === undefined) return () => false;
  return typeof trustProxy === 'number' ? (_address, hop) => hop < trustProxy : proxyaddr.compile(trustProxy);
}

/** Writes IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`) as the IPv4 address people know. */
export function normalizeIp(address: string | undefined): string | null {
  if (!address) return null;
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
