import { and, eq, gt, sql } from 'drizzle-orm';
import type { Clock } from '../clock.js';
import type { Db } from '../db/client.js';
import { signUpAttempts } from '../db/schema.js';
import { lockBudget, retryAfterSeconds, type Budget } from './attempt-budget.js';

export interface SignUpLimits {
  /** `signUp` attempts allowed per client address within the window. */
  perIp: number;
  windowSeconds: number;
}

export type SignUpThrottle = ReturnType<typeof createSignUpThrottle>;

/**
 * Counts account creations per client address in Postgres, across instances. Every `signUp` field
 * takes one budget before any hashing, whether it then creates an account or finds the email
 * taken, so aliased sign-ups in one request count one each.
 */
export function createSignUpThrottle({ db, clock, limits }: { db: Db; clock: Clock; limits: SignUpLimits }) {
  return {
    takeAttempt(ipAddress: string | null): Promise<Budget<null>> {
      const address = ipAddress ?? 'unknown';
      return db.transaction(async (tx) => {
        await lockBudget(tx, `sign-up-throttle:${address}`);
        const now = clock.now();
        const since = new Date(now.getTime() - limits.windowSeconds * 1000);
        const [use] = await tx
          .select({ count: sql<number>`count(*)`.mapWith(Number), oldest: sql<Date | string | null>`min(${signUpAttempts.createdAt})` })
          .from(signUpAttempts)
          .where(and(eq(signUpAttempts.ipAddress, address), gt(signUpAttempts.createdAt, since)));
        const retryAfter = retryAfterSeconds([{ ...use!, limit: limits.perIp }], limits.windowSeconds, now);
        if (retryAfter > 0) return { ok: false, retryAfterSeconds: retryAfter };
        await tx.insert(signUpAttempts).values({ ipAddress: address, createdAt: now });
        return { ok: true, attempt: null };
      });
    },
  };
}
