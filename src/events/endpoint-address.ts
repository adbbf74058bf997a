import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/** Where deliveries may go (server-side request forgery): see `describeUrlProblem`. */
export interface AddressPolicy {
  /** Production: `https:` only, and loopback counts as a private network. */
  isProduction: boolean;
  /** WEBHOOK_ALLOW_PRIVATE_NETWORKS: private, link-local and loopback addresses too. */
  allowPrivateNetworks: boolean;
}

const MAX_URL_LENGTH = 2048;

/**
 * Why a URL cannot be an endpoint's, or null. `https:` only in production; elsewhere `http:` to
 * a loopback host too, for a receiver under development. No credentials in the URL. A host given
 * as an address is checked here; a name is checked each time it is resolved (`guardedLookup`), so
 * a name that later points inside the network is refused too.
 */
export function describeUrlProblem(value: string, policy: AddressPolicy): string | null {
  if (value.length > MAX_URL_LENGTH) return `A URL is at most ${MAX_URL_LENGTH} characters.`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'Not a URL.';
  }
  if (url.username || url.password) return 'A URL may not carry credentials.';
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'A URL starts with https://.';
  if (url.protocol === 'http:' && (policy.isProduction || !isLoopbackHost(url.hostname))) {
    return policy.isProduction ? 'Only https:// URLs are allowed in production.' : 'http:// is allowed for a loopback host only (localhost, 127.0.0.1, [::1]); use https://.';
  }
  const literal = hostAddress(url.hostname);
  return literal ? describeAddressProblem(literal, policy) : null;
}

/** Why a connection to this address is refused, or null. */
export function describeAddressProblem(address: string, policy: AddressPolicy): string | null {
  if (!ipaddr.isValid(address)) return `${address} is not an address.`;
  const range = ipaddr.process(address).range();
  if (range === 'unicast') return null;
  if (range === 'loopback' && !policy.isProduction) return null;
  if (PRIVATE_RANGES.has(range) && policy.allowPrivateNetworks) return null;
  return `${address} is a ${range} address; ${PRIVATE_RANGES.has(range) ? 'set WEBHOOK_ALLOW_PRIVATE_NETWORKS=on to allow private networks' : 'it is never allowed'}.`;
}

/** Ranges an operator may open to deliveries; the rest (multicast, reserved, broadcast…) never are. */
const PRIVATE_RANGES = new Set(['private', 'loopback', 'linkLocal', 'uniqueLocal', 'carrierGradeNat', 'unspecified']);

/**
 * A `lookup` for `http.request` that refuses a name resolving to an address the policy forbids,
 * at connect time: what is checked is what is connected to (no DNS rebinding between check and use).
 */
export function guardedLookup(policy: AddressPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      const refused = addresses.map((entry) => describeAddressProblem(entry.address, policy)).find(Boolean);
      if (refused) return callback(Object.assign(new Error(`${hostname}: ${refused}`), { code: 'EADDRREFUSED' }), '', 0);
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      const [first] = addresses;
      callback(null, first!.address, first!.family);
    });
  };
}

/** The address a URL's host is written as, without IPv6 brackets, or null for a name. */
export function hostAddress(hostname: string): string | null {
  const bare = hostname.replace(/^\[(.*)\]$/, '$1');
  return isIP(bare) ? bare : null;
}

function isLoopbackHost(hostname: string): boolean {
  const address = hostAddress(hostname);
  if (address) return ipaddr.process(address).range() === 'loopback';
  return hostname === 'localhost' || hostname.endsWith('.localhost');
}
