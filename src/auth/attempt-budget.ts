import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';

/**
 * Serialises every budget decision for `key`, across requests and instances, until `tx` ends: a
 * transaction-level advisory lock. Counting and then inserting in one statement would not do: under
 * READ COMMITTED each of fifty concurrent statements sees only the rows committed before it began.
 */
export async function lockBudget(tx: Db, key: string): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(${key}, 0))`);
}

/** A window's use: how many attempts it holds, and when the oldest of them was made. */
export interface WindowUse {
  count: number;
  oldest: Date | string | null;
}

/**
 * Seconds until the windows allow another attempt, or 0 when every one of them allows one now:
 * a full window opens again when its oldest attempt leaves it.
 */
export function retryAfterSeconds(uses: ReadonlyArray<WindowUse & { limit: number }>, windowSeconds: number, now: Date): number {
  const blockedUntil = uses
    .filter((use) => use.count >= use.limit && use.oldest !== null)
    .map((use) => new Date(use.oldest!).getTime() + windowSeconds * 1000);
  if (blockedUntil.length === 0) return 0;
  return Math.max(1, Math.ceil((Math.max(...blockedUntil) - now.getTime()) / 1000));
}

/** The outcome of asking for a budget: granted (with what identifies the attempt), or when to try again. */
export type Budget<T> = { ok: true; attempt: T } | { ok: false; retryAfterSeconds: number };
