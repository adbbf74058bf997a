import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import QuickLRU from 'quick-lru';
import type { Clock } from '../clock.js';
import { accessTokenExpiresAt } from './session-lifetime.js';

const ALGORITHM = 'HS256';
const MAX_TOKEN_LENGTH = 2048;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A fresh opaque secret, 256 random bits in base64url: a refresh token, or a service key's body. */
export function generateSecretToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Hex SHA-256 of a token: the only form in which tokens are stored. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Compares two hex hashes in constant time, so response timing reveals nothing of the stored hash. */
export function isSameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}

export interface AccessTokenClaims {
  userId: string;
  sessionId: string;
  /** SHA-256 of the whole token, to compare with the session's stored hash. */
  tokenHash: string;
  expiresAt: Date;
  /** The device key's thumbprint a DPoP-bound token is confirmed by (`cnf.jkt`); null for a bearer token. */
  jkt: string | null;
}

export type AccessTokenCheck =
  | { ok: true; claims: AccessTokenClaims }
  | { ok: false; reason: 'malformed' | 'expired' | 'invalid' };

export interface AccessTokens {
  /**
   * Signs an access token for a session, never outliving `notAfter`, its session's end (see
   * `accessTokenExpiresAt`); bound to a device key by its thumbprint (`cnf.jkt`) when `jkt` is given.
   */
  sign(userId: string, sessionId: string, notAfter: Date, jkt?: string | null): Promise<{ token: string; tokenHash: string; expiresAt: Date }>;
  /** Checks signature, algorithm and expiry. Never throws. */
  verify(token: string): Promise<AccessTokenCheck>;
}

export interface AccessTokenOptions {
  secret: string;
  ttlSeconds: number;
  clock: Clock;
  /** How many verified tokens to remember. @default 10000 */
  cacheSize?: number;
}

/**
 * HS256 access tokens. A signature once verified is remembered by the exact token string,
 * since the same bytes always verify the same way; expiry is still checked on every use,
 * and the session row behind the token is checked by the caller on every request.
 */
export function createAccessTokens({ secret, ttlSeconds, clock, cacheSize = 10_000 }: AccessTokenOptions): AccessTokens {
  const key = new TextEncoder().encode(secret);
  const verified = new QuickLRU<string, AccessTokenClaims>({ maxSize: cacheSize });

  return {
    async sign(userId, sessionId, notAfter, jkt) {
      const now = clock.now();
      const exp = accessTokenExpiresAt(now, ttlSeconds, notAfter).getTime() / 1000;
      const token = await new SignJWT(jkt ? { sid: sessionId, cnf: { jkt } } : { sid: sessionId })
        .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
        .setSubject(userId)
        .setIssuedAt(Math.floor(now.getTime() / 1000))
        .setExpirationTime(exp)
        // Two tokens issued for one session in the same second must still differ.
        .setJti(randomUUID())
        .sign(key);
      return { token, tokenHash: hashToken(token), expiresAt: new Date(exp * 1000) };
    },

    async verify(token) {
      if (token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'malformed' };
      const cached = verified.get(token);
      if (cached) {
        return cached.expiresAt > clock.now() ? { ok: true, claims: cached } : { ok: false, reason: 'expired' };
      }
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: [ALGORITHM],
          currentDate: clock.now(),
          requiredClaims: ['sub', 'exp'],
        });
        const { sub, sid, exp, cnf } = payload;
        if (typeof sub !== 'string' || typeof sid !== 'string' || !UUID_PATTERN.test(sid) || !UUID_PATTERN.test(sub) || exp === undefined) {
          return { ok: false, reason: 'invalid' };
        }
        const jkt = (cnf as { jkt?: unknown } | undefined)?.jkt;
        const claims = { userId: sub, sessionId: sid, tokenHash: hashToken(token), expiresAt: new Date(exp * 1000), jkt: typeof jkt === 'string' ? jkt : null };
        verified.set(token, claims);
        return { ok: true, claims };
      } catch (error) {
        if (error instanceof joseErrors.JWTExpired) return { ok: false, reason: 'expired' };
        if (error instanceof joseErrors.JWSInvalid || error instanceof joseErrors.JWTInvalid) return { ok: false, reason: 'malformed' };
        return { ok: false, reason: 'invalid' };
      }
    },
  };
}
