/** `Authorization: Bearer <token>`, the scheme case-insensitive (RFC 9110), as the API and GET /metrics read it; the API also reads `DPoP <token>`. */
const BEARER = /^Bearer +(\S+) *$/i;

/** The token of a Bearer `Authorization` value; undefined for any other value. */
export function readBearerToken(header: string): string | undefined {
  return BEARER.exec(header)?.[1];
}

const DPOP = /^DPoP +(\S+) *$/i;

/** The token of an `Authorization` value and how it came: `Bearer`, or `DPoP` (RFC 9449 §7.1); undefined for any other value. */
export function readAuthorization(header: string): { scheme: 'bearer' | 'dpop'; token: string } | undefined {
  const bearer = readBearerToken(header);
  if (bearer) return { scheme: 'bearer', token: bearer };
  const dpop = DPOP.exec(header)?.[1];
  return dpop ? { scheme: 'dpop', token: dpop } : undefined;
}
