/**
 * When a session and its tokens die, in one place. A session lives until SESSION_MAX_AGE_SECONDS
 * after it was created, unless it is idle for SESSION_IDLE_TIMEOUT_SECONDS first or is ended
 * (signed out, revoked, evicted, reuse detected: `revokedAt`). An access token lives
 * ACCESS_TOKEN_TTL_SECONDS, never past its session's end, and is refused the moment its session
 * ends. Each rule is here in its SQL form and its JS form, side by side, so that queries, the
 * per-request check, the sweep and the resync never disagree.
 */
import { and, gt, isNull, lte, or, sql, type SQL } from 'drizzle-orm';
import { sessions, type RevocationReason } from '../db/schema.js';

/** The times that decide a session's end, as stored. */
export interface SessionTimes {
  expiresAt: Date;
  lastActiveAt: Date;
}

/** How and when a session ended, as its row says. */
export interface SessionEnd {
  reason: RevocationReason;
  at: Date;
}

/** What decides whether and how a session ended, as stored. */
export interface SessionEndColumns extends SessionTimes {
  revokedAt: Date | null;
  revokedReason: RevocationReason | null;
}

/** The columns of `SessionEndColumns`, for a query that reads them. */
export const sessionEndColumns = {
  revokedAt: sessions.revokedAt,
  revokedReason: sessions.revokedReason,
  expiresAt: sessions.expiresAt,
  lastActiveAt: sessions.lastActiveAt,
};

/** The absolute end of a session created at `now`. */
export function sessionExpiresAt(now: Date, maxAgeSeconds: number): Date {
  return new Date(now.getTime() + maxAgeSeconds * 1000);
}

/** When an access token issued at `now` expires: its lifetime, cut at its session's absolute end, in whole seconds (a JWT's `exp`). */
export function accessTokenExpiresAt(now: Date, ttlSeconds: number, sessionExpiresAt: Date): Date {
  const seconds = Math.min(Math.floor(now.getTime() / 1000) + ttlSeconds, Math.floor(sessionExpiresAt.getTime() / 1000));
  return new Date(seconds * 1000);
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
function hasRunOutAt(session: SessionTimes, now: Date, idleTimeoutSeconds: number): boolean {
  return session.expiresAt <= now || session.lastActiveAt <= idleSince(now, idleTimeoutSeconds);
}

/**
 * When a session that ran out ended: the earlier of its absolute end and its idle deadline, not
 * when anyone noticed. A session that ended while no instance ran is dated, and so deleted, by it.
 */
function endedAt(session: SessionTimes, idleTimeoutSeconds: number): Date {
  return new Date(Math.min(session.expiresAt.getTime(), session.lastActiveAt.getTime() + idleTimeoutSeconds * 1000));
}

/** `endedAt`'s SQL form, over the row being read or updated. */
export function endedAtSql(idleTimeoutSeconds: number): SQL {
  return sql`LEAST(${sessions.expiresAt}, ${sessions.lastActiveAt} + ${idleTimeoutSeconds} * interval '1 second')`;
}

/**
 * How and when a session read from its row ended, or undefined while it is live at `now`: its
 * recorded end, else EXPIRED when it ran out. A row that is gone (`undefined`) ended, and the
 * cleanup removed it: it counts as REVOKED at `now`, the moment it was found missing.
 */
export function endOf(session: SessionEndColumns | undefined, now: Date, idleTimeoutSeconds: number): SessionEnd | undefined {
  if (!session) return { reason: 'REVOKED', at: now };
  if (session.revokedAt) return { reason: session.revokedReason ?? 'REVOKED', at: session.revokedAt };
  if (hasRunOutAt(session, now, idleTimeoutSeconds)) return { reason: 'EXPIRED', at: endedAt(session, idleTimeoutSeconds) };
  return undefined;
}
