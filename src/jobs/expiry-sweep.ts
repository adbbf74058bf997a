import { sql } from 'drizzle-orm';
import type { Revoker } from '../auth/revocations.js';
import { hasRunOut } from '../auth/session-lifetime.js';
import type { Clock } from '../clock.js';
import { sessions } from '../db/schema.js';

const BATCH_SIZE = 5_000;

export interface ExpirySweepDeps {
  revoker: Revoker;
  clock: Clock;
  idleTimeoutSeconds: number;
}

/**
 * Marks sessions past their lifetime or idle timeout as EXPIRED, dated when they ended, which
 * records the event and pushes the revocation to their sockets. Batches skip rows another instance is sweeping.
 * @returns how many sessions it ended
 */
export async function sweepExpiredSessions({ revoker, clock, idleTimeoutSeconds }: ExpirySweepDeps): Promise<number> {
  let total = 0;
  for (;;) {
    const batch = sql`${sessions.id} IN (
      SELECT ${sessions.id} FROM ${sessions} WHERE ${hasRunOut(clock.now(), idleTimeoutSeconds)}
      LIMIT ${BATCH_SIZE} FOR UPDATE SKIP LOCKED)`;
    const ended = await revoker.revoke({ where: batch, reason: 'EXPIRED' });
    total += ended.length;
    if (ended.length < BATCH_SIZE) return total;
  }
}
