import { and, isNull, sql, type SQL } from 'drizzle-orm';
import type { Clock } from '../clock.js';
import { onCommit } from '../db/after-commit.js';
import type { Db } from '../db/client.js';
import { revocationReasonEnum, sessions, type RevocationReason, type SecurityEventType } from '../db/schema.js';
import { composeStatement, runStatement, type StatementPart } from '../db/statement.js';
import { initiatorOf } from '../events/event-types.js';
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
  bus: Pick<SessionEventBus, 'partsFor' | 'publishCommitted'>;
  events: SecurityEvents;
  /** Where each end is written for apps' backends (`session.ended`). */
  outbox: Outbox;
}

export type Revoker = ReturnType<typeof createRevoker>;

/** An ended session as a revoking statement reads it back (`ENDED_COLUMNS`). */
export interface EndedRow {
  id: string;
  userId: string;
  deviceName: string;
  /** A Date from PGlite, text from postgres.js (Drizzle leaves its timestamps unparsed). */
  revokedAt: Date | string;
}

/** What the part named `part` ended, read back as `EndedRow`s. */
export const endedColumns = (part: string) => sql`${sql.identifier(part)}.id, user_id AS "userId", device_name AS "deviceName", revoked_at AS "revokedAt"`;

/**
 * The one way sessions end: the UPDATE, the push to their sockets, one security event each and
 * their events for apps' backends (the outbox), in one statement, so one round trip, and all
 * happen or none does.
 */
export function createRevoker({ db, clock, logger, bus, events, outbox, idleTimeoutSeconds }: RevokerDeps) {
  /**
   * The parts of a statement (`composeStatement`) that end the sessions: `part` ends them and
   * returns each ended row with the columns the bus, the events and the outbox read.
   */
  function parts({ where, reason, actor }: RevokeOptions, part: string): StatementPart[] {
    const now = clock.now();
    const isSweep = reason === 'EXPIRED';
    const actorSessionId = sql`${actor?.sessionId ?? null}::uuid`;
    // The sweep ends sessions that are over but not yet marked, as of when they ran out, however
    // late it finds them; everything else ends live ones only, now.
    const condition = and(where, isSweep ? isNull(sessions.revokedAt) : isLive(now, idleTimeoutSeconds));
    const endedAt = isSweep ? endedAtSql(idleTimeoutSeconds) : sql`${now.toISOString()}::timestamptz`;
    return [
      {
        name: part,
        query: sql`
          UPDATE ${sessions} SET revoked_at = ${endedAt}, revoked_reason = ${reason}::${sql.identifier(revocationReasonEnum.enumName)}
          WHERE ${condition}
          RETURNING id, user_id, revoked_reason, revoked_at, device_name, device_label, device_type, ip_address, location_city, location_region, location_country_code`,
      },
      ...bus.partsFor({ kind: 'ended', part }),
      // The actor is named only when it is another session: a logout is its own doing.
      events.partFor(part, { type: EVENT_OF_REASON[reason], at: sql`revoked_at`, actorSessionId: sql`NULLIF(${actorSessionId}, id)`, actorServiceKey: actor?.serviceKey, note: actor?.note, origin: actor?.origin }),
      // session.ended for each; a reuse is also told as such, first, for receivers that watch for stolen tokens.
      ...outbox.partsFor(part, {
        types: reason === 'REFRESH_TOKEN_REUSE' ? ['session.refresh_token_reused', 'session.ended'] : ['session.ended'],
        at: sql`revoked_at`, initiatedBy: initiatorOf(reason, actor), actorSessionId, actorServiceKey: actor?.serviceKey, note: actor?.note, reason: sql`revoked_reason::text`,
      }),
    ];
  }

  /** What follows the statement: a log line and a security event line each, and once it commits (`tx`, or at once), the bus. */
  function ended(rows: readonly EndedRow[], { reason, actor }: RevokeOptions, tx?: Db): RevokedSession[] {
    const endings = rows.map((row) => ({ ...row, revokedAt: new Date(row.revokedAt) }));
    for (const row of endings) logger.info({ event: 'session.revoked', sessionId: row.id, userId: row.userId, reason, actorServiceKey: actor?.serviceKey, requestId: actor?.origin?.requestId }, 'session revoked');
    events.log(endings.map((row) => securityEventOf(row, reason, actor)));
    if (endings.length > 0) {
      const message = { kind: 'ended' as const, events: endings.map(({ id, userId, revokedAt }) => ({ sessionId: id, userId, reason, revokedAt })) };
      onCommit(tx, () => bus.publishCommitted(message));
    }
    return endings.map(({ id, userId }) => ({ id, userId }));
  }

  return {
    parts,
    ended,

    /** Revokes in `tx` when given (a transaction of `db/after-commit`), else as a statement of its own. */
    async revoke(options: RevokeOptions, tx?: Db): Promise<RevokedSession[]> {
      const rows = await runStatement<EndedRow>(tx ?? db, composeStatement(parts(options, 'ended'), endedColumns('ended'), 'ended'));
      return ended(rows, options, tx);
    },
  };
}

/** A session's end as its security event's log line tells it. */
function securityEventOf(row: { id: string; userId: string; deviceName: string; revokedAt: Date }, reason: RevocationReason, actor: Actor | undefined): SecurityEventInput {
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
    at: row.revokedAt,
  };
}
