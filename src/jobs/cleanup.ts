import { setImmediate as yieldToRequests } from 'node:timers/promises';
import { and, eq, isNotNull, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Clock } from '../clock.js';
import type { Database, Db } from '../db/client.js';
import { dpopProofs, loginFailures, outboxEvents, securityEvents, sessions, signUpAttempts, webhookDeliveries } from '../db/schema.js';
import type { Logger } from '../logger.js';

const BATCH_SIZE = 5_000;
// Any fixed number, other than the migration lock's.
export const CLEANUP_LOCK_KEY = 7_340_112_002;
const DAY_MS = 24 * 3600 * 1000;

export interface CleanupDeps {
  database: Pick<Database, 'db' | 'tryWithLock'>;
  clock: Clock;
  logger: Logger;
  sessionRetentionDays: number;
  securityEventRetentionDays: number;
  loginFailureWindowSeconds: number;
  signUpWindowSeconds: number;
  webhookFailedRetentionDays: number;
}

export interface CleanupResult {
  sessions: number;
  securityEvents: number;
  loginFailures: number;
  signUpAttempts: number;
  webhookDeliveries: number;
  outboxEvents: number;
  dpopProofs: number;
}

/**
 * Deletes sessions that ended more than the retention ago (their rotated refresh tokens go with
 * them), old security events, login failures and sign-up attempts that no longer count, delivered
 * webhook deliveries, failed ones past their retention, events nothing is left to deliver, and DPoP
 * proofs past their window. At most 5,000 rows per
 * statement, yielding between batches, on one instance at a time. Null when another was running.
 */
export async function runCleanup({ database, clock, logger, ...retention }: CleanupDeps): Promise<CleanupResult | null> {
  const result = await database.tryWithLock(CLEANUP_LOCK_KEY, async () => {
    const now = clock.now().getTime();
    const sessionsBefore = new Date(now - retention.sessionRetentionDays * DAY_MS);
    const startedAt = Date.now();
    const removed: CleanupResult = {
      // Both arms are served by partial indexes, so live sessions are never read.
      sessions: await deleteInBatches(database.db, sessions, sessions.id, or(
        and(isNotNull(sessions.revokedAt), lt(sessions.revokedAt, sessionsBefore)),
        and(isNull(sessions.revokedAt), lt(sessions.expiresAt, sessionsBefore)),
      )!),
      securityEvents: await deleteInBatches(database.db, securityEvents, securityEvents.id, lt(securityEvents.createdAt, new Date(now - retention.securityEventRetentionDays * DAY_MS))),
      loginFailures: await deleteInBatches(database.db, loginFailures, loginFailures.id, lt(loginFailures.createdAt, new Date(now - retention.loginFailureWindowSeconds * 1000))),
      signUpAttempts: await deleteInBatches(database.db, signUpAttempts, signUpAttempts.id, lt(signUpAttempts.createdAt, new Date(now - retention.signUpWindowSeconds * 1000))),
      webhookDeliveries: await deleteInBatches(database.db, webhookDeliveries, webhookDeliveries.id, or(
        eq(webhookDeliveries.status, 'DELIVERED'),
        and(eq(webhookDeliveries.status, 'FAILED'), lt(webhookDeliveries.finishedAt, new Date(now - retention.webhookFailedRetentionDays * DAY_MS))),
      )!),
      // An event and its deliveries commit together, so one without any has nothing left to send.
      outboxEvents: await deleteInBatches(database.db, outboxEvents, outboxEvents.id, sql`NOT EXISTS (SELECT 1 FROM ${webhookDeliveries} WHERE ${webhookDeliveries.eventId} = ${outboxEvents.id})`),
      // A proof past its window is refused by its iat alone: its row has nothing left to catch.
      dpopProofs: await deleteInBatches(database.db, dpopProofs, dpopProofs.proofHash, lt(dpopProofs.expiresAt, new Date(now))),
    };
    logger.info({ event: 'cleanup.done', removed, durationMs: Date.now() - startedAt }, 'cleanup removed old rows');
    return removed;
  });
  if (!result) logger.info({ event: 'cleanup.skipped' }, 'cleanup already running on another instance');
  return result;
}

async function deleteInBatches(db: Db, table: PgTable, id: PgColumn, condition: SQL): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await db.delete(table).where(sql`${id} IN (SELECT ${id} FROM ${table} WHERE ${condition} LIMIT ${BATCH_SIZE})`).returning({ id });
    total += deleted.length;
    if (deleted.length < BATCH_SIZE) return total;
    await yieldToRequests();
  }
}
