/** The access token the client holds, with what it needs to know of its lifetime. */
export interface AccessToken {
  token: string;
  /** The session it belongs to (the JWT's `sid`). */
  sessionId: string;
  /** When it was received, on the local clock. */
  receivedAt: number;
  /** Its lifetime (`exp - iat`), in milliseconds. */
  lifetimeMs: number;
}

/**
 * Reads a JWT's claims without checking them (the server does that). Lifetimes are taken as
 * `exp - iat` and counted from local receipt, so a skewed device clock does not matter.
 */
export function readAccessToken(token: string, receivedAt: number): AccessToken {
  const payload = token.split('.')[1];
  if (!payload) throw new Error('The access token is not a JWT.');
  const claims = JSON.parse(decodeBase64Url(payload)) as { sid?: unknown; iat?: unknown; exp?: unknown };
  const lifetimeSeconds = typeof claims.exp === 'number' && typeof claims.iat === 'number' ? claims.exp - claims.iat : 0;
  return { token, sessionId: String(claims.sid ?? ''), receivedAt, lifetimeMs: Math.max(0, lifetimeSeconds) * 1000 };
}

/** How long after receipt to refresh: at `ratio` of the token's life. */
export function refreshDelayMs(access: AccessToken, ratio: number, now: number): number {
  return Math.max(0, access.receivedAt + access.lifetimeMs * ratio - now);
}

/** Whether the token's life, counted from receipt, is over. */
export function isPastLifetime(access: AccessToken, now: number): boolean {
  return now >= access.receivedAt + access.lifetimeMs;
}

function decodeBase64Url(text: string): string {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(text.length / 4) * 4, '=');
  // Read as Latin-1, not UTF-8: the claims used (sid, iat, exp) are ASCII, and React Native's
  // Hermes lacks TextDecoder on some versions.
  return atob(base64);
}
