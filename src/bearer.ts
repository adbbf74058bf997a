/** `Authorization: Bearer <token>`, the scheme case-insensitive (RFC 9110), as the API and GET /metrics read it. */
const BEARER = /^Bearer +(\S+) *$/i;

/** The token of a Bearer `Authorization` value; undefined for any other value. */
export function readBearerToken(header: string): string | undefined {
  return BEARER.exec(header)?.[1];
}
