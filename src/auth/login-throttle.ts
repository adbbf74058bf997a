import { and, eq, gt, lte, sql } from 'drizzle-orm';
import type { Clock } from '../clock.js';
import type { Db } from '../db/client.js';
import { loginFailures } from '../db/schema.js';
import { lockBudget, retryAfterSeconds, type Budget } from './attempt-budget.js';
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

/** A password check that holds its budget: counted as a failure unless `forgive`n. */
export interface TakenAttempt extends Attempt {
  seq: number;
}

export type LoginThrottle = ReturnType<typeof createLoginThrottle>;

/**
 * Counts password checks in Postgres, so that the limits hold across instances. Per email
 * and address, so an attacker elsewhere cannot lock a victim out; and per address, against one
 * source spraying many emails. A check takes its budget before it runs, so that fifty sent at
 * once are never all checked.
 */
export function createLoginThrottle({ db, clock, limits }: { db: Db; clock: Clock; limits: ThrottleLimits }) {
  const keyOf = ({ email, ipAddress }: Attempt) => ({ emailHash: hashToken(email), ipAddress: ipAddress ?? 'unknown' });

  async function retryAfterIn(tx: Db, attempt: Attempt, now: Date): Promise<number> {
    const { emailHash, ipAddress } = keyOf(attempt);
    const since = new Date(now.getTime() - limits.windowSeconds * 1000);
    const [counts] = await tx
      .select({
        forEmailAndIp: sql<number>`count(*) FILTER (WHERE ${loginFailures.emailHash} = ${emailHash})`.mapWith(Number),
        forIp: sql<number>`count(*)`.mapWith(Number),
        oldestForEmailAndIp: sql<Date | string | null>`min(${loginFailures.createdAt}) FILTER (WHERE ${loginFailures.emailHash} = ${emailHash})`,
        oldestForIp: sql<Date | string | null>`min(${loginFailures.createdAt})`,
      })
      .from(loginFailures)
      .where(and(eq(loginFailures.ipAddress, ipAddress), gt(loginFailures.createdAt, since)));
    return retryAfterSeconds([
      { count: counts!.forEmailAndIp, oldest: counts!.oldestForEmailAndIp, limit: limits.perEmailAndIp },
      { count: counts!.forIp, oldest: counts!.oldestForIp, limit: limits.perIp },
    ], limits.windowSeconds, now);
  }

  return {
    /** LOGIN_THROTTLED is recorded at most once per account and address in this window. */
    windowSeconds: limits.windowSeconds,

    /**
     * Takes one check's budget: under a lock on the address, counts what the window holds and, if
     * it allows one more, records the attempt as a failure before the password is checked. When
     * refused, `whenRefused` runs under the same lock, in the same transaction.
     */
    takeAttempt(attempt: Attempt, whenRefused?: (tx: Db, retryAfterSeconds: number) => Promise<void>): Promise<Budget<TakenAttempt>> {
      return db.transaction(async (tx) => {
        const key = keyOf(attempt);
        // Every limit counts within one address, so its lock serialises both of them.
        await lockBudget(tx, `login-throttle:${key.ipAddress}`);
        const now = clock.now();
        const retryAfter = await retryAfterIn(tx, attempt, now);
        if (retryAfter > 0) {
          await whenRefused?.(tx, retryAfter);
          return { ok: false, retryAfterSeconds: retryAfter };
        }
        const [taken] = await tx.insert(loginFailures).values({ ...key, createdAt: now }).returning({ seq: loginFailures.seq });
        return { ok: true, attempt: { ...attempt, seq: taken!.seq } };
      });
    },

    /**
     * A success forgives its own attempt and that email and address's failures counted before it,
     * but not those that took their budget while it ran: a burst must not be wiped by its one success.
     */
    async forgive(attempt: TakenAttempt): Promise<void> {
      const { emailHash, ipAddress } = keyOf(attempt);
      await db.delete(loginFailures).where(and(eq(loginFailures.emailHash, emailHash), eq(loginFailures.ipAddress, ipAddress), lte(loginFailures.seq, attempt.seq)));
    },
  };
}
