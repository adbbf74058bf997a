import { sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../db/client.js';
import { outboxEvents, webhookDeliveries, webhookEndpoints } from '../db/schema.js';
import type { EventData, OutboxEvent, WebhookEventType } from './event-types.js';

/** A delivery this instance holds until `claimedUntil`: only the holder of this attempt may record its outcome. */
export interface ClaimedDelivery {
  id: string;
  attempt: number;
  event: OutboxEvent;
}

/** A failed attempt: the answer's status when there was one, and why, in words. */
export interface FailedAttempt {
  status?: number;
  error: string;
}

/**
 * The deliveries table as the dispatcher uses it. All scheduling runs on the database's clock,
 * one clock for every instance, so that a lease or a retry time means the same thing to all.
 */
export function createDeliveryQueue(db: Db) {
  return {
    /**
     * Claims up to `limit` due deliveries of the endpoint for `leaseSeconds`. Only the oldest
     * pending delivery of each ordering key (a session, or a user) is ever due, so one key's events
     * reach the endpoint in order; `SKIP LOCKED` leaves what another instance is claiming to it.
     */
    async claim(endpointId: string, limit: number, leaseSeconds: number): Promise<ClaimedDelivery[]> {
      const rows = rowsOf<{ id: string; attempt: number; event_id: string; type: WebhookEventType; occurred_at: Date | string; data: EventData }>(await db.execute(sql`
        UPDATE ${webhookDeliveries} AS d
        SET claimed_until = now() + make_interval(secs => ${leaseSeconds}), attempts = d.attempts + 1, last_attempt_at = now()
        FROM ${outboxEvents} AS e
        WHERE e.id = d.event_id AND d.id IN (
          SELECT c.id FROM ${webhookDeliveries} AS c
          WHERE c.endpoint_id = ${endpointId} AND c.status = 'PENDING' AND c.next_attempt_at <= now()
            AND (c.claimed_until IS NULL OR c.claimed_until <= now())
            -- Written as the key's first pending one rather than NOT EXISTS an earlier one: Postgres
            -- plans this as an index lookup on the key per candidate even on a table without
            -- statistics, where the anti-join it chose read every pending delivery per candidate.
            AND c.event_seq = (
              SELECT min(earlier.event_seq) FROM ${webhookDeliveries} AS earlier
              WHERE earlier.endpoint_id = c.endpoint_id AND earlier.ordering_key = c.ordering_key AND earlier.status = 'PENDING')
            -- A pump of an endpoint disabled a moment ago claims nothing more.
            AND EXISTS (SELECT 1 FROM ${webhookEndpoints} AS endpoint WHERE endpoint.id = c.endpoint_id AND endpoint.disabled_at IS NULL)
          -- Oldest first, along the index on (endpoint_id, status, event_seq): the scan stops at the limit.
          ORDER BY c.event_seq
          LIMIT ${limit}
          FOR UPDATE SKIP LOCKED)
        RETURNING d.id, d.attempts AS attempt, e.id AS event_id, e.type, e.occurred_at, e.data`));
      return rows.map((row) => ({
        id: row.id,
        attempt: row.attempt,
        event: { id: row.event_id, type: row.type, occurredAt: new Date(row.occurred_at), data: row.data },
      }));
    },

    /**
     * Records deliveries, any number in one statement; says whether a later one of any of their
     * ordering keys waits, which their delivery has just made due.
     */
    async delivered(deliveries: ReadonlyArray<{ delivery: ClaimedDelivery; status: number }>): Promise<{ hasNext: boolean }> {
      const done = JSON.stringify(deliveries.map(({ delivery, status }) => ({ id: delivery.id, attempt: delivery.attempt, status })));
      const rows = rowsOf<{ has_next: boolean }>(await db.execute(sql`
        UPDATE ${webhookDeliveries} AS d SET status = 'DELIVERED', finished_at = now(), claimed_until = NULL, last_response_status = done.status, last_error = NULL
        FROM jsonb_to_recordset(${done}::jsonb) AS done(id uuid, attempt int, status int)
        WHERE d.id = done.id AND d.attempts = done.attempt AND d.status = 'PENDING'
        RETURNING EXISTS (
          SELECT 1 FROM ${webhookDeliveries} AS later
          WHERE later.endpoint_id = d.endpoint_id AND later.ordering_key = d.ordering_key AND later.status = 'PENDING' AND later.event_seq > d.event_seq) AS has_next`));
      return { hasNext: rows.some((row) => row.has_next) };
    },

    /** Schedules the next attempt in `retryInSeconds`, or marks the delivery FAILED when that is past its retry period; says which. */
    async failed({ id, attempt }: ClaimedDelivery, { status, error }: FailedAttempt, retryInSeconds: number): Promise<'retrying' | 'failed'> {
      const next = sql`now() + make_interval(secs => ${retryInSeconds})`;
      const [row] = rowsOf<{ status: string }>(await db.execute(sql`
        UPDATE ${webhookDeliveries} SET
          status = CASE WHEN ${next} > retry_until THEN 'FAILED' ELSE 'PENDING' END::webhook_delivery_status,
          finished_at = CASE WHEN ${next} > retry_until THEN now() END,
          next_attempt_at = ${next}, claimed_until = NULL, last_response_status = ${status ?? null}, last_error = ${error.slice(0, 500)}
        WHERE id = ${id} AND attempts = ${attempt} AND status = 'PENDING'
        RETURNING status`));
      return row?.status === 'FAILED' ? 'failed' : 'retrying';
    },

    /** Gives the delivery back unsent and pending: its endpoint was just disabled (it answered 410). */
    async release({ id, attempt }: ClaimedDelivery, { status, error }: FailedAttempt): Promise<void> {
      await db.execute(sql`
        UPDATE ${webhookDeliveries} SET claimed_until = NULL, next_attempt_at = now(), last_response_status = ${status ?? null}, last_error = ${error}
        WHERE id = ${id} AND attempts = ${attempt} AND status = 'PENDING'`);
    },

    /** An endpoint answered again after failing: what waits for a later retry is due now, so it gets everything it missed at once. */
    async hurry(endpointId: string): Promise<void> {
      await db.execute(sql`
        UPDATE ${webhookDeliveries} SET next_attempt_at = now()
        WHERE endpoint_id = ${endpointId} AND status = 'PENDING' AND next_attempt_at > now()`);
    },
  };
}
