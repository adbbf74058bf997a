// How the list-like settings (CORS_ORIGINS, TRUST_PROXY) are written and checked.
import proxyaddr from 'proxy-addr';
import { z } from 'zod';

/** A switch: `on` or `off`. */
export const onOff = z.enum(['on', 'off']);

export function splitList(value: string): string[] {
  return value.split(',').map((part) => part.trim()).filter(Boolean);
}

/** `scheme://host[:port]` and nothing more, as browsers send it in `Origin`. */
export function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && value.replace(/\/$/, '').toLowerCase() === url.origin;
  } catch {
    return false;
  }
}

export function parseTrustProxy(value: string | undefined): number | string[] | undefined {
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  return splitList(value);
}

export function isValidTrustProxy(value: string): boolean {
  const parsed = parseTrustProxy(value);
  if (typeof parsed === 'number') return true;
  try {
    proxyaddr.compile(parsed ?? []);
    return true;
  } catch {
    return false;
  }
}
