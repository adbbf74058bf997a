import { sql } from 'drizzle-orm';
import type { Database, Db } from '../db/client.js';
import type { Listener } from '../db/listener.js';
import { revocationReasonEnum, type RevocationReason } from '../db/schema.js';
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

/**
 * Carries session events between instances: sessions that ended (revoked, signed out, expired…)
 * and sessions created. Resolvers and services see only this, so a deployment that outgrows
 * Postgres notifications can put Redis or NATS pub/sub behind it instead.
 */
export interface SessionEventBus {
  /**
   * Called inside the transaction that ends the sessions: the events must reach subscribers only
   * once it commits, and never if it rolls back.
   */
  publishEnded(tx: Db, events: readonly SessionEndedEvent[]): Promise<void>;
  /** Like `publishEnded`, for a session created in `tx`. */
  publishCreated(tx: Db, event: SessionCreatedEvent): Promise<void>;
  /** Like `publishEnded`, for a session renamed in `tx`. */
  publishRenamed(tx: Db, event: SessionRenamedEvent): Promise<void>;
  /** Starts delivering every instance's events, this one's included. */
  subscribe(handlers: SessionEventHandlers): Promise<void>;
  /** Whether events are being received now (for readiness). */
  isReceiving(): boolean;
  close(): Promise<void>;
}

/** Named when it carried revocations only; kept, so that instances of both versions hear each other during a rolling deploy. */
export const SESSION_EVENTS_CHANNEL = 'session_revoked';

/**
 * The bus on Postgres `NOTIFY`: Postgres holds notifications back until the transaction commits
 * and drops them on rollback, which is exactly the guarantee `publishEnded` and `publishCreated` promise. The same SQL
 * works on PGlite, in-process.
 */
export function createNotifySessionEventBus(database: Pick<Database, 'listen'>, logger: Logger): SessionEventBus {
  let listener: Listener | undefined;
  return {
    async publishEnded(tx, events) {
      if (events.length === 0) return;
      // One statement for any number of sessions, up to 150 of them per notification: far fewer
      // notifications to deliver and parse in a fan-out, and each far below NOTIFY's 8000 bytes.
      await notify(tx, toPayloads(events));
    },

    async publishCreated(tx, event) {
      await notify(tx, [JSON.stringify({ kind: 'created', ...event })]);
    },

    async publishRenamed(tx, event) {
      await notify(tx, [JSON.stringify({ kind: 'renamed', ...event })]);
    },

    async subscribe(handlers) {
      listener = await database.listen(SESSION_EVENTS_CHANNEL, {
        notification: (payload) => {
          const message = fromPayload(payload);
          if (message?.kind === 'revoked') for (const event of message.events) handlers.ended(event);
          else if (message?.kind === 'created') handlers.created(message.event);
          else if (message?.kind === 'renamed') handlers.renamed(message.event);
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

function notify(tx: Db, payloads: string[]): Promise<unknown> {
  return tx.execute(sql`SELECT pg_notify(${SESSION_EVENTS_CHANNEL}, payload) FROM jsonb_array_elements_text(${JSON.stringify(payloads)}::jsonb) AS payload`);
}

const SESSIONS_PER_NOTIFICATION = 150;

/** `{ kind, userId, reason, revokedAt, sessionIds }` per run of events that share all but the session. */
function toPayloads(events: readonly SessionEndedEvent[]): string[] {
  const groups = new Map<string, { kind: 'revoked'; userId?: string; reason: RevocationReason; revokedAt: string; sessionIds: string[] }>();
  for (const { sessionId, userId, reason, revokedAt } of events) {
    const key = `${userId}|${reason}|${revokedAt.toISOString()}`;
    const group = groups.get(key) ?? { kind: 'revoked' as const, userId, reason, revokedAt: revokedAt.toISOString(), sessionIds: [] };
    group.sessionIds.push(sessionId);
    groups.set(key, group);
  }
  return [...groups.values()].flatMap(({ sessionIds, ...shared }) => {
    const chunks: string[] = [];
    for (let start = 0; start < sessionIds.length; start += SESSIONS_PER_NOTIFICATION) {
      chunks.push(JSON.stringify({ ...shared, sessionIds: sessionIds.slice(start, start + SESSIONS_PER_NOTIFICATION) }));
    }
    return chunks;
  });
}

type Message =
  | { kind: 'revoked'; events: SessionEndedEvent[] }
  | { kind: 'created'; event: SessionCreatedEvent }
  | { kind: 'renamed'; event: SessionRenamedEvent };

function fromPayload(payload: string): Message | null {
  try {
    const { kind, sessionIds, sessionId, userId, reason, revokedAt, isNewDevice } = JSON.parse(payload) as Record<string, unknown>;
    if (kind === 'created') {
      if (typeof sessionId !== 'string' || typeof userId !== 'string' || typeof isNewDevice !== 'boolean') return null;
      return { kind, event: { sessionId, userId, isNewDevice } };
    }
    if (kind === 'renamed') return typeof sessionId === 'string' && typeof userId === 'string' ? { kind, event: { sessionId, userId } } : null;
    if (kind !== 'revoked' || !Array.isArray(sessionIds) || !sessionIds.every((id) => typeof id === 'string') || typeof revokedAt !== 'string') return null;
    if (!revocationReasonEnum.enumValues.includes(reason as RevocationReason) || (userId !== undefined && typeof userId !== 'string')) return null;
    const date = new Date(revokedAt);
    if (Number.isNaN(date.getTime())) return null;
    const events = (sessionIds as string[]).map((id) => ({ sessionId: id, userId: userId as string | undefined, reason: reason as RevocationReason, revokedAt: date }));
    return { kind, events };
  } catch {
    return null;
  }
}
