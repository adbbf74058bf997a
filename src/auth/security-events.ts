import { and, desc, eq, gte, lt, sql, type SQL } from 'drizzle-orm';
import type { Clock } from '../clock.js';
import type { Db } from '../db/client.js';
import type { StatementPart } from '../db/statement.js';
import { USER_AGENT_MAX_LENGTH } from '../devices/device-bounds.js';
import { securityEvents, securityEventTypeEnum, type SecurityEventType } from '../db/schema.js';
import type { Logger } from '../logger.js';

/** Where a change came from: the request's address and User-Agent, and its id for the log lines. */
export interface RequestOrigin {
  ipAddress: string | null;
  userAgent?: string | undefined;
  requestId?: string | undefined;
}

export interface SecurityEventInput {
  userId: string;
  type: SecurityEventType;
  sessionId?: string | null;
  actorSessionId?: string | null;
  /** The service key that caused it, by name, when an app's backend did. */
  actorServiceKey?: string | null;
  /** The words given with it (revokeUserSessions' `reason`). */
  note?: string | null;
  deviceName?: string | null;
  origin?: RequestOrigin;
  isNewDevice?: boolean;
  /** When it happened, if not now: a session that ran out is recorded as ending when it did. */
  at?: Date;
}

/** The event of each session a statement changed (`partFor`); each SQL is read over the changed row. */
export interface SecurityChange {
  type: SecurityEventType;
  at: SQL;
  actorSessionId?: SQL;
  actorServiceKey?: string | null;
  note?: string | null;
  origin?: RequestOrigin;
  isNewDevice?: SQL;
}

export type SecurityEventRow = typeof securityEvents.$inferSelect;

export interface SecurityEventPage {
  events: SecurityEventRow[];
  hasNextPage: boolean;
  /** Whether the user has events before this page: the one at `after`, or newer ones. Never without `after`. */
  hasPreviousPage: boolean;
}

/** Where a page ends: the last event's position in insertion order. */
export interface EventCursor {
  seq: number;
}

export type SecurityEvents = ReturnType<typeof createSecurityEvents>;

export function createSecurityEvents({ db, clock, logger }: { db: Db; clock: Clock; logger: Logger }) {
  return {
    /** Stores the events in `tx`, the transaction of the change they record, and logs one line each. */
    async record(tx: Db, inputs: readonly SecurityEventInput[]): Promise<void> {
      if (inputs.length === 0) return;
      const rows = inputs.map((input) => ({
        user_id: input.userId,
        type: input.type,
        session_id: input.sessionId ?? null,
        actor_session_id: input.actorSessionId ?? null,
        actor_service_key: input.actorServiceKey ?? null,
        note: input.note ?? null,
        device_name: input.deviceName ?? null,
        ip_address: input.origin?.ipAddress ?? null,
        user_agent: input.origin?.userAgent?.slice(0, USER_AGENT_MAX_LENGTH) ?? null,
        is_new_device: input.isNewDevice ?? null,
        given_at: input.at?.toISOString() ?? null,
      }));
      // One JSON parameter rather than nine per row: a revocation of 1,000 sessions records
      // 1,000 events, and binding 9,000 parameters cost more than the rest of its transaction.
      await tx.execute(insertSql(sql`
        SELECT *, COALESCE(given_at, ${clock.now().toISOString()}::timestamptz) AS created_at
        FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS event(
          user_id uuid, type security_event_type, session_id uuid, actor_session_id uuid, actor_service_key text, note text, device_name text,
          ip_address text, user_agent text, is_new_device boolean, given_at timestamptz)`));
      logEvents(logger, inputs);
    },

    /**
     * One event for each session the part `changed` of a statement (`composeStatement`) returned,
     * with its user, id and device name, as a part of that statement. Log them with `log` once it
     * has run.
     */
    partFor(changed: string, event: SecurityChange): StatementPart {
      const rows = sql.identifier(changed);
      return {
        name: `${changed}_events`,
        query: insertSql(sql`
          SELECT user_id, ${event.type}::${sql.identifier(securityEventTypeEnum.enumName)} AS type, id AS session_id,
            ${event.actorSessionId ?? sql`NULL::uuid`} AS actor_session_id, ${event.actorServiceKey ?? null}::text AS actor_service_key,
            ${event.note ?? null}::text AS note, device_name, ${event.origin?.ipAddress ?? null}::text AS ip_address,
            ${event.origin?.userAgent?.slice(0, USER_AGENT_MAX_LENGTH) ?? null}::text AS user_agent,
            ${event.isNewDevice ?? sql`NULL::boolean`} AS is_new_device, ${event.at} AS created_at
          FROM ${rows}`),
      };
    },

    /** One line per event, for events written by `partFor`. */
    log: (inputs: readonly SecurityEventInput[]) => logEvents(logger, inputs),

    /** The user's events, newest first, `first` of them after the cursor. `userId` may be a subquery that finds it. */
    async page(userId: string | SQL, first: number, after: EventCursor | null): Promise<SecurityEventPage> {
      const [rows, earlier] = await Promise.all([
        db
          .select()
          .from(securityEvents)
          .where(and(eq(securityEvents.userId, userId), after ? lt(securityEvents.seq, after.seq) : undefined))
          .orderBy(desc(securityEvents.seq))
          .limit(first + 1),
        after
          ? db.select({ seq: securityEvents.seq }).from(securityEvents).where(and(eq(securityEvents.userId, userId), gte(securityEvents.seq, after.seq))).limit(1)
          : [],
      ]);
      return { events: rows.slice(0, first), hasNextPage: rows.length > first, hasPreviousPage: earlier.length > 0 };
    },
  };
}

/**
 * Inserts the events `source` selects, by these column names: user_id, type, session_id,
 * actor_session_id, actor_service_key, note, device_name, ip_address, user_agent, is_new_device, created_at.
 */
function insertSql(source: SQL): SQL {
  return sql`
    INSERT INTO ${securityEvents} (user_id, type, session_id, actor_session_id, actor_service_key, note, device_name, ip_address, user_agent, is_new_device, created_at)
    SELECT user_id, type, session_id, actor_session_id, actor_service_key, note, device_name, ip_address, user_agent, is_new_device, created_at
    FROM (${source}) AS event`;
}

function logEvents(logger: Logger, inputs: readonly SecurityEventInput[]): void {
  for (const input of inputs) {
    logger.info(
      { event: `security.${input.type.toLowerCase()}`, userId: input.userId, sessionId: input.sessionId, actorSessionId: input.actorSessionId, actorServiceKey: input.actorServiceKey, ipAddress: input.origin?.ipAddress, requestId: input.origin?.requestId },
      'security event',
    );
  }
}

/** Opaque to clients: base64url of a tagged position. */
export function encodeCursor({ seq }: EventCursor): string {
  return Buffer.from(`se:${seq}`).toString('base64url');
}

/** The cursor, or null when the string is not one of ours. */
export function decodeCursor(cursor: string): EventCursor | null {
  if (cursor.length > 40) return null;
  const match = /^se:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString());
  return match ? { seq: Number(match[1]) } : null;
}
