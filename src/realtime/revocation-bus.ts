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
      // One statement for any number of sessions; each payload is ~100 bytes, far below NOTIFY's 8000.
      const payloads = events.map(toPayload);
      await tx.execute(sql`SELECT pg_notify(${REVOCATION_CHANNEL}, payload) FROM jsonb_array_elements_text(${JSON.stringify(payloads)}::jsonb) AS payload`);
    },

    async subscribe(handlers) {
      listener = await database.listen(REVOCATION_CHANNEL, {
        notification: (payload) => {
          const event = fromPayload(payload);
          if (event) handlers.revoked(event);
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

function toPayload(event: RevocationEvent): string {
  return JSON.stringify({ ...event, revokedAt: event.revokedAt.toISOString() });
}

function fromPayload(payload: string): RevocationEvent | null {
  try {
    const parsed = JSON.parse(payload) as Partial<Record<keyof RevocationEvent, unknown>>;
    const { sessionId, reason, revokedAt } = parsed;
    if (typeof sessionId !== 'string' || typeof revokedAt !== 'string') return null;
    if (!revocationReasonEnum.enumValues.includes(reason as RevocationReason)) return null;
    const date = new Date(revokedAt);
    return Number.isNaN(date.getTime()) ? null : { sessionId, reason: reason as RevocationReason, revokedAt: date };
  } catch {
    return null;
  }
}
