import { sql } from 'drizzle-orm';
import type { Database, Db } from '../db/client.js';
import type { Listener } from '../db/listener.js';
import { revocationReasonEnum, type RevocationReason } from '../db/schema.js';
import type { Logger } from '../logger.js';

/** One session that has just ended, as every instance hears of it. */
export interface RevocationEvent {
  sessionId: string;
  reason: RevocationReason;
  revokedAt: Date;
}

export interface RevocationHandlers {
  revoked(event: RevocationEvent): void;
  /** Events may have been missed (a dropped connection): re-check every session held. */
  resync(): void;
}

/**
 * Carries revocations between instances. Resolvers and services see only this, so a deployment
 * that outgrows Postgres notifications can put Redis or NATS pub/sub behind it instead.
 */
export interface RevocationBus {
  /**
   * Called inside the transaction that revokes: the events must reach subscribers only once it
   * commits, and never if it rolls back.
   */
  publish(tx: Db, events: readonly RevocationEvent[]): Promise<void>;
  /** Starts delivering every instance's revocations, this one's included. */
  subscribe(handlers: RevocationHandlers): Promise<void>;
  close(): Promise<void>;
}

export const REVOCATION_CHANNEL = 'session_revoked';

/**
 * The bus on Postgres `NOTIFY`: Postgres holds notifications back until the transaction commits
 * and drops them on rollback, which is exactly the guarantee `publish` promises. The same SQL
 * works on PGlite, in-process.
 */
export function createNotifyRevocationBus(database: Pick<Database, 'listen'>, logger: Logger): RevocationBus {
  let listener: Listener | undefined;
  return {
    async publish(tx, events) {
      if (events.length === 0) return;
      // One statement for any number of sessions, up to 150 of them per notification: far fewer
      // notifications to deliver and parse in a fan-out, and each far below NOTIFY's 8000 bytes.
      const payloads = toPayloads(events);
      await tx.execute(sql`SELECT pg_notify(${REVOCATION_CHANNEL}, payload) FROM jsonb_array_elements_text(${JSON.stringify(payloads)}::jsonb) AS payload`);
    },

    async subscribe(handlers) {
      listener = await database.listen(REVOCATION_CHANNEL, {
        notification: (payload) => {
          const events = fromPayload(payload);
          if (events) for (const event of events) handlers.revoked(event);
          else logger.error({ channel: REVOCATION_CHANNEL }, 'ignored a malformed revocation notification');
        },
        connectionLost: () => logger.warn('revocation listener lost its database connection; reconnecting'),
        connectFailed: (error, retryInMs) =>
          logger.error({ err: error, retryInMs }, 'revocation listener could not connect to the database; retrying'),
        reconnected: () => {
          logger.info('revocation listener reconnected; re-checking the sessions of open sockets');
          handlers.resync();
        },
      });
    },

    async close() {
      await listener?.close();
    },
  };
}

const SESSIONS_PER_NOTIFICATION = 150;

/** `{ reason, revokedAt, sessionIds }` per run of events that share a reason and a time. */
function toPayloads(events: readonly RevocationEvent[]): string[] {
  const groups = new Map<string, { reason: RevocationReason; revokedAt: string; sessionIds: string[] }>();
  for (const { sessionId, reason, revokedAt } of events) {
    const key = `${reason}|${revokedAt.toISOString()}`;
    const group = groups.get(key) ?? { reason, revokedAt: revokedAt.toISOString(), sessionIds: [] };
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

function fromPayload(payload: string): RevocationEvent[] | null {
  try {
    const { sessionIds, reason, revokedAt } = JSON.parse(payload) as Record<string, unknown>;
    if (!Array.isArray(sessionIds) || !sessionIds.every((id) => typeof id === 'string') || typeof revokedAt !== 'string') return null;
    if (!revocationReasonEnum.enumValues.includes(reason as RevocationReason)) return null;
    const date = new Date(revokedAt);
    if (Number.isNaN(date.getTime())) return null;
    return (sessionIds as string[]).map((sessionId) => ({ sessionId, reason: reason as RevocationReason, revokedAt: date }));
  } catch {
    return null;
  }
}
