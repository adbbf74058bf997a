/**
 * When a session is live and when it ended: each rule in its SQL form and its JS form, side by
 * side, so that queries, the per-request check, the sweep and the resync never disagree.
 */
import { and, gt, isNull, lte, or, sql, type SQL } from 'drizzle-orm';
import { sessions, type RevocationReason } from '../db/schema.js';

/** The times that decide a session's end, as stored. */
export interface SessionTimes {
  expiresAt: Date;
  lastActiveAt: Date;
}

function idleSince(now: Date, idleTimeoutSeconds: number): Date {
  return new Date(now.getTime() - idleTimeoutSeconds * 1000);
}

/** A session that has neither ended nor run out its lifetime or idle timeout at `now`. */
export function isLive(now: Date, idleTimeoutSeconds: number): SQL {
  return and(isNull(sessions.revokedAt), gt(sessions.expiresAt, now), gt(sessions.lastActiveAt, idleSince(now, idleTimeoutSeconds)))!;
}

/** Not yet marked as ended, but past its lifetime or idle timeout at `now`: what the sweep marks EXPIRED. */
export function hasRunOut(now: Date, idleTimeoutSeconds: number): SQL {
  return and(isNull(sessions.revokedAt), or(lte(sessions.expiresAt, now), lte(sessions.lastActiveAt, idleSince(now, idleTimeoutSeconds))))!;
}

/** `hasRunOut`'s JS form, for a row already read (revocation aside). */
export function hasRunOutAt(session: SessionTimes, now: Date, idleTimeoutSeconds: number): boolean {
  return session.expiresAt <= now || session.lastActiveAt <= idleSince(now, idleTimeoutSeconds);
}

/**
 * When a session that ran out ended: the earlier of its absolute end and its idle deadline, not
 * when anyone noticed. A session that ended while no instance ran is dated, and so deleted, by it.
 */
export function endedAt(session: SessionTimes, idleTimeoutSeconds: number): Date {
  return new Date(Math.min(session.expiresAt.getTime(), session.lastActiveAt.getTime() + idleTimeoutSeconds * 1000));
}

/** `endedAt`'s SQL form, over the row being read or updated. */
export function endedAtSql(idleTimeoutSeconds: number): SQL {
  return sql`LEAST(${sessions.expiresAt}, ${sessions.lastActiveAt} + ${idleTimeoutSeconds} * interval '1 second')`;
}

/** Why a session read from its row is over, or undefined while it is live: its recorded reason, else EXPIRED once it has run out. */
export function howEnded(session: SessionTimes & { revokedReason: RevocationReason | null }, now: Date, idleTimeoutSeconds: number): RevocationReason | undefined {
  return session.revokedReason ?? (hasRunOutAt(session, now, idleTimeoutSeconds) ? 'EXPIRED' : undefined);
}
