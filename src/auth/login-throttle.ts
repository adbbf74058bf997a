import { and, eq, gt, sql } from 'drizzle-orm';
import type { Clock } from '../clock.js';
import type { Db } from '../db/client.js';
import { loginFailures } from '../db/schema.js';
import { hashToken } from './tokens.js';

export interface ThrottleLimits {
  /** Failures allowed per email and client address within the window. */
  perEmailAndIp: number;
  /** Failures allowed per client address within the window, whatever the email. */
  perIp: number;
  windowSeconds: number;
}

/** Who is trying: the email (kept only as a digest) and the trusted-proxy-aware client address. */
export interface Attempt {
  email: string;
  ipAddress: string | null;
}

export type LoginThrottle = ReturnType<typeof createLoginThrottle>;

/**
 * Counts failed password checks in Postgres, so that the limits hold across instances. Per email
 * and address, so an attacker elsewhere cannot lock a victim out; and per address, against one
 * source spraying many emails.
 */
export function createLoginThrottle({ db, clock, limits }: { db: Db; clock: Clock; limits: ThrottleLimits }) {
  const keyOf = ({ email, ipAddress }: Attempt) => ({ emailHash: hashToken(email), ipAddress: ipAddress ?? 'unknown' });

  return {
    /** Seconds until another attempt is allowed, or 0 when one is allowed now. */
    async retryAfterSeconds(attempt: Attempt): Promise<number> {
      const { emailHash, ipAddress } = keyOf(attempt);
      const now = clock.now();
      const since = new Date(now.getTime() - limits.windowSeconds * 1000);
      const [counts] = await db
        .select({
          forEmailAndIp: sql<number>`count(*) FILTER (WHERE ${loginFailures.emailHash} = ${emailHash})`.mapWith(Number),
          forIp: sql<number>`count(*)`.mapWith(Number),
          // When the oldest failure that still counts leaves the window, one more attempt is allowed.
          oldestForEmailAndIp: sql<Date | string | null>`min(${loginFailures.createdAt}) FILTER (WHERE ${loginFailures.emailHash} = ${emailHash})`,
          oldestForIp: sql<Date | string | null>`min(${loginFailures.createdAt})`,
        })
        .from(loginFailures)
        .where(and(eq(loginFailures.ipAddress, ipAddress), gt(loginFailures.createdAt, since)));
      const blockedUntil = [
        counts!.forEmailAndIp >= limits.perEmailAndIp ? counts!.oldestForEmailAndIp : null,
        counts!.forIp >= limits.perIp ? counts!.oldestForIp : null,
      ]
        .filter((oldest): oldest is Date | string => oldest !== null)
        .map((oldest) => new Date(oldest).getTime() + limits.windowSeconds * 1000);
      if (blockedUntil.length === 0) return 0;
      return Math.max(1, Math.ceil((Math.max(...blockedUntil) - now.getTime()) / 1000));
    },

    async recordFailure(attempt: Attempt, tx: Db = db): Promise<void> {
      await tx.insert(loginFailures).values({ ...keyOf(attempt), createdAt: clock.now() });
    },

    /** A success forgives that email and address's failures; the address's count for other emails stays. */
    async clear(attempt: Attempt, tx: Db = db): Promise<void> {
      const { emailHash, ipAddress } = keyOf(attempt);
      await tx.delete(loginFailures).where(and(eq(loginFailures.emailHash, emailHash), eq(loginFailures.ipAddress, ipAddress)));
    },
  };
}
