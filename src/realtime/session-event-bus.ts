import { sql, type SQL } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import type { Listener } from '../db/listener.js';
import { revocationReasonEnum, type RevocationReason } from '../db/schema.js';
import type { StatementPart } from '../db/statement.js';
import type { Logger } from '../logger.js';

/** One session that has just ended, as every instance hears of it. */
export interface SessionEndedEvent {
  sessionId: string;
  /** Whose session it was; absent when only a re-check found it ended. */
  userId?: string;
  reason: RevocationReason;
  revokedAt: Date;
}

/** A session that has just been created, for the user's other devices (`mySessionsChanged`). */
export interface SessionCreatedEvent {
  sessionId: string;
  userId: string;
  isNewDevice: boolean;
}

/** A session that was just given a name, for every device of its user. */
export interface SessionRenamedEvent {
  sessionId: string;
  userId: string;
}

export interface SessionEventHandlers {
  ended(event: SessionEndedEvent): void;
  created(event: SessionCreatedEvent): void;
  renamed(event: SessionRenamedEvent): void;
  /** Events may have been missed (a dropped connection): re-check every session held. */
  resync(): void;
}

/** One change to sessions, as a bus carries it. */
export type SessionBusMessage =
  | { kind: 'ended'; events: SessionEndedEvent[] }
  | { kind: 'created'; event: SessionCreatedEvent }
  | { kind: 'renamed'; event: SessionRenamedEvent };

/**
 * The sessions a change's statement changed, as one of its parts (`composeStatement`) names
 * them, with these columns: `ended` id, user_id, revoked_reason, revoked_at; `created` id,
 * user_id, is_new_device; `renamed` id, user_id.
 */
export interface ChangedSessions {
  kind: SessionBusMessage['kind'];
  part: string;
}

/**
 * Carries session events between instances: sessions that ended (revoked, signed out, expired…),
 * were created or renamed. Resolvers and services see only this, so a deployment that outgrows
 * Postgres notifications puts Redis pub/sub behind it instead (`SESSION_BUS`).
 *
 * A change's events must reach subscribers only once it commits, and never if it rolls back. A
 * bus that Postgres carries publishes in the change's own statement (`partsFor`); any other
 * publishes once the change has committed (`publishCommitted`). Every change calls both.
 */
export interface SessionEventBus {
  /** The parts that publish the change as part of its statement; none for a bus that publishes after commit. */
  partsFor(changed: ChangedSessions): StatementPart[];
  /** Publishes a change that has committed; nothing for a bus that published it in its statement. */
  publishCommitted(message: SessionBusMessage): void;
  /**
   * This instance now holds sockets of the user: a bus that brings each instance only its users'
   * events subscribes to the user's. Resolves, once they are heard, with whether some may have
   * been missed until then, so that the caller re-checks the user's sessions it holds.
   */
  follow(userId: string): Promise<boolean>;
  /** This instance no longer holds sockets of the user. */
  unfollow(userId: string): void;
  /** Starts delivering every instance's events, this one's included. */
  subscribe(handlers: SessionEventHandlers): Promise<void>;
  /** Whether events are being received now (for readiness). */
  isReceiving(): boolean;
  close(): Promise<void>;
}

/** Named when it carried revocations only; kept, so that instances of both versions hear each other during a rolling deploy. */
export const SESSION_EVENTS_CHANNEL = 'session_revoked';

/**
 * The bus on Postgres `NOTIFY`, sent by the change's own statement: Postgres holds notifications
 * back until the transaction commits and drops them on rollback, which is exactly the guarantee
 * a bus owes. Every instance hears every event. The same SQL works on PGlite, in-process.
 */
export function createNotifySessionEventBus(database: Pick<Database, 'listen'>, logger: Logger): SessionEventBus {
  let listener: Listener | undefined;
  return {
    partsFor: (changed) => [{ name: `${changed.part}_notified`, query: notifySql(changed), isSideEffect: true }],

    publishCommitted() {},

    // Every instance hears every event: nothing to follow, nothing missed.
    follow: async () => false,
    unfollow() {},

    async subscribe(handlers) {
      listener = await database.listen(SESSION_EVENTS_CHANNEL, {
        notification: (payload) => {
          const message = decodeMessage(payload);
          if (message) deliverMessage(message, handlers);
          else logger.error({ channel: SESSION_EVENTS_CHANNEL }, 'ignored a malformed session notification');
        },
        connectionLost: () => logger.warn('session event listener lost its database connection; reconnecting'),
        connectFailed: (error, retryInMs) =>
          logger.error({ err: error, retryInMs }, 'session event listener could not connect to the database; retrying'),
        reconnected: () => {
          logger.info('session event listener reconnected; re-checking the sessions of open sockets');
          handlers.resync();
        },
      });
    },

    isReceiving: () => listener?.isListening() ?? false,

    async close() {
      await listener?.close();
    },
  };
}

const SESSIONS_PER_NOTIFICATION = 150;

/**
 * The NOTIFYs of a change: one per new or renamed session; for ended ones, one per user, reason
 * and time, of up to 150 sessions each: far fewer notifications to deliver and parse in a fan-out,
 * and each far below NOTIFY's 8000 bytes.
 */
function notifySql({ kind, part }: ChangedSessions): SQL {
  const rows = sql.identifier(part);
  if (kind === 'created') {
    return sql`SELECT pg_notify(${SESSION_EVENTS_CHANNEL}, json_build_object('kind', 'created', 'sessionId', id, 'userId', user_id, 'isNewDevice', is_new_device)::text) FROM ${rows}`;
  }
  if (kind === 'renamed') {
    return sql`SELECT pg_notify(${SESSION_EVENTS_CHANNEL}, json_build_object('kind', 'renamed', 'sessionId', id, 'userId', user_id)::text) FROM ${rows}`;
  }
  return sql`
    SELECT pg_notify(${SESSION_EVENTS_CHANNEL}, json_build_object(
      'kind', 'revoked', 'userId', user_id, 'reason', revoked_reason, 'revokedAt', revoked_at, 'sessionIds', json_agg(id ORDER BY id))::text)
    FROM (SELECT id, user_id, revoked_reason, revoked_at,
      (row_number() OVER (PARTITION BY user_id, revoked_reason, revoked_at ORDER BY id) - 1) / ${SESSIONS_PER_NOTIFICATION} AS chunk FROM ${rows}) AS ended
    GROUP BY user_id, revoked_reason, revoked_at, chunk`;
}

/** Hands a message heard on a bus to the handlers. */
export function deliverMessage(message: SessionBusMessage, handlers: SessionEventHandlers): void {
  if (message.kind === 'ended') for (const event of message.events) handlers.ended(event);
  else if (message.kind === 'created') handlers.created(message.event);
  else handlers.renamed(message.event);
}

/**
 * A message as every bus carries it, the format `notifySql` writes: `{ kind: 'revoked', userId,
 * reason, revokedAt, sessionIds }` for sessions of one user that ended together.
 */
export function encodeMessages(message: SessionBusMessage): Array<{ userId?: string; payload: string }> {
  if (message.kind !== 'ended') return [{ userId: message.event.userId, payload: JSON.stringify({ kind: message.kind, ...message.event }) }];
  const groups = new Map<string, { kind: 'revoked'; userId?: string; reason: RevocationReason; revokedAt: string; sessionIds: string[] }>();
  for (const { sessionId, userId, reason, revokedAt } of message.events) {
    const key = `${userId}|${reason}|${revokedAt.toISOString()}`;
    const group = groups.get(key) ?? { kind: 'revoked' as const, userId, reason, revokedAt: revokedAt.toISOString(), sessionIds: [] };
    group.sessionIds.push(sessionId);
    groups.set(key, group);
  }
  return [...groups.values()].map((group) => ({ userId: group.userId, payload: JSON.stringify(group) }));
}

/** The message in a payload, or null when it is not one. */
export function decodeMessage(payload: string): SessionBusMessage | null {
  try {
    const { kind, sessionIds, sessionId, userId, reason, revokedAt, isNewDevice } = JSON.parse(payload) as Record<string, unknown>;
    if (kind === 'created') {
      if (typeof sessionId !== 'string' || typeof userId !== 'string' || typeof isNewDevice !== 'boolean') return null;
      return { kind, event: { sessionId, userId, isNewDevice } };
    }
    if (kind === 'renamed') return typeof sessionId === 'string' && typeof userId === 'string' ? { kind, event: { sessionId, userId } } : null;
    if (kind !== 'revoked' || !Array.isArray(sessionIds) || !sessionIds.every((id) => typeof id === 'string') || typeof revokedAt !== 'string') return null;
    if (!revocationReasonEnum.enumValues.includes(reason as RevocationReason) || (userId != null && typeof userId !== 'string')) return null;
    const date = new Date(revokedAt);
    if (Number.isNaN(date.getTime())) return null;
    const events = (sessionIds as string[]).map((id) => ({ sessionId: id, userId: (userId ?? undefined) as string | undefined, reason: reason as RevocationReason, revokedAt: date }));
    return { kind: 'ended', events };
  } catch {
    return null;
  }
}
