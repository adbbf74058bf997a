import { and, isNull, type SQL } from 'drizzle-orm';
import type { Clock } from '../clock.js';
import type { Db } from '../db/client.js';
import { sessions, type RevocationReason, type SecurityEventType } from '../db/schema.js';
import { initiatorOf, type OutboxEventInput } from '../events/event-types.js';
import type { Outbox } from '../events/outbox.js';
import type { Logger } from '../logger.js';
import type { SessionEventBus } from '../realtime/session-event-bus.js';
import type { RequestOrigin, SecurityEventInput, SecurityEvents } from './security-events.js';
import { endedAtSql, isLive } from './session-lifetime.js';

/** The security event each way of ending a session is recorded as. */
const EVENT_OF_REASON: Record<RevocationReason, SecurityEventType> = {
  LOGOUT: 'LOGGED_OUT',
  REVOKED: 'SESSION_REVOKED',
  EXPIRED: 'SESSION_EXPIRED',
  REFRESH_TOKEN_REUSE: 'REFRESH_TOKEN_REUSE',
  PASSWORD_CHANGED: 'SESSION_REVOKED',
  SESSION_LIMIT: 'SESSION_LIMIT_REACHED',
};

/** Who ended the sessions, when it was a request: a session of the user's, or an app's backend by its key's name; and where the request came from. */
export interface Actor {
  sessionId?: string;
  serviceKey?: string;
  /** The words the backend gave with it (revokeUserSessions' `reason`). */
  note?: string | null;
  origin: RequestOrigin;
}

export interface RevokeOptions {
  /** Which sessions; callers scope it to one user, except the expiry sweep. Only live ones are touched. */
  where: SQL;
  reason: RevocationReason;
  actor?: Actor;
}

export interface RevokedSession {
  id: string;
  userId: string;
}

export interface RevokerDeps {
  db: Db;
  /** Sessions idle this long are over, as if expired. */
  idleTimeoutSeconds: number;
  clock: Clock;
  logger: Logger;
  bus: Pick<SessionEventBus, 'publishEnded'>;
  events: SecurityEvents;
  /** Where each end is written for apps' backends (`session.ended`). */
  outbox: Outbox;
}

export type Revoker = ReturnType<typeof createRevoker>;

/**
 * The one way sessions end: the UPDATE, the push to their sockets, one security event each and
 * their events for apps' backends (the outbox), in one transaction, so all happen or none does.
 */
export function createRevoker({ db, clock, logger, bus, events, outbox, idleTimeoutSeconds }: RevokerDeps) {
  async function revokeIn(tx: Db, { where, reason, actor }: RevokeOptions): Promise<RevokedSession[]> {
    const now = clock.now();
    const isSweep = reason === 'EXPIRED';
    const rows = await tx
      .update(sessions)
      // A session that ran out ended when it did, however late the sweep finds it.
      .set({ revokedAt: isSweep ? endedAtSql(idleTimeoutSeconds) : now, revokedReason: reason })
      // The sweep ends sessions that are over but not yet marked; everything else ends live ones only.
      .where(and(where, isSweep ? isNull(sessions.revokedAt) : isLive(now, idleTimeoutSeconds)))
      .returning({ id: sessions.id, userId: sessions.userId, deviceName: sessions.deviceName, revokedAt: sessions.revokedAt });
    // Three statements that need only the ended rows, sent at once: postgres.js pipelines them on
    // the transaction's connection, one round trip for the three instead of three.
    await Promise.all([
      bus.publishEnded(tx, rows.map(({ id, userId, revokedAt }) => ({ sessionId: id, userId, reason, revokedAt: revokedAt! }))),
      events.record(tx, rows.map((row) => securityEventOf(row, reason, actor))),
      outbox.record(tx, rows.flatMap((row) => outboxEventsOf(row.id, row.userId, row.revokedAt!, reason, actor))),
    ]);
    for (const row of rows) logger.info({ event: 'session.revoked', sessionId: row.id, userId: row.userId, reason, actorServiceKey: actor?.serviceKey, requestId: actor?.origin?.requestId }, 'session revoked');
    return rows.map(({ id, userId }) => ({ id, userId }));
  }

  return {
    /** Revokes in `tx` when given (the caller's transaction), else in a transaction of its own. */
    revoke(options: RevokeOptions, tx?: Db): Promise<RevokedSession[]> {
      return tx ? revokeIn(tx, options) : db.transaction((own) => revokeIn(own, options));
    },
  };
}

function securityEventOf(row: { id: string; userId: string; deviceName: string; revokedAt: Date | null }, reason: RevocationReason, actor: Actor | undefined): SecurityEventInput {
  return {
    userId: row.userId,
    type: EVENT_OF_REASON[reason],
    sessionId: row.id,
    // The actor is named only when it is another session: a logout is its own doing.
    actorSessionId: actor?.sessionId && actor.sessionId !== row.id ? actor.sessionId : null,
    actorServiceKey: actor?.serviceKey,
    note: actor?.note,
    deviceName: row.deviceName,
    origin: actor?.origin,
    at: row.revokedAt!,
  };
}

/** `session.ended` for each ended session; a reuse is also told as such, first, for receivers that watch for stolen tokens. */
function outboxEventsOf(sessionId: string, userId: string, at: Date, reason: RevocationReason, actor: Actor | undefined): OutboxEventInput[] {
  const event = {
    userId, sessionId, at, reason,
    initiatedBy: initiatorOf(reason, actor),
    actorSessionId: actor?.sessionId ?? null,
    actorServiceKey: actor?.serviceKey ?? null,
    note: actor?.note ?? null,
  };
  const ended = { ...event, type: 'session.ended' as const };
  return reason === 'REFRESH_TOKEN_REUSE' ? [{ ...event, type: 'session.refresh_token_reused' }, ended] : [ended];
}
