import { sql } from 'drizzle-orm';
import { bigint, index, integer, jsonb, pgEnum, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns.js';

/** How an endpoint is told: Standard Webhooks JSON, a CAEP Security Event Token (RFC 8935 push), or an OpenID back-channel Logout Token. */
export const webhookFormatEnum = pgEnum('webhook_format', ['STANDARD_WEBHOOKS', 'SECURITY_EVENT_TOKEN', 'BACK_CHANNEL_LOGOUT']);

export const webhookDeliveryStatusEnum = pgEnum('webhook_delivery_status', ['PENDING', 'DELIVERED', 'FAILED']);

/** Where session events go: an app's backend, made and managed with a `webhooks:manage` service key. */
export const webhookEndpoints = pgTable('webhook_endpoints', {
  id: uuid('id').primaryKey().defaultRandom(),
  url: text('url').notNull(),
  format: webhookFormatEnum('format').notNull(),
  /** Which events it is sent (`session.ended`…). */
  eventTypes: text('event_types').array().notNull(),
  description: text('description'),
  /** The `aud` of the tokens it is sent (SECURITY_EVENT_TOKEN, BACK_CHANNEL_LOGOUT). */
  audience: text('audience'),
  /** The Standard Webhooks signing secret (`whsec_…`); null for the token formats, which the server's key signs. */
  secret: text('secret'),
  /** The secret before the last rotation, still signing beside the new one until `previous_secret_expires_at`. */
  previousSecret: text('previous_secret'),
  previousSecretExpiresAt: timestamptz('previous_secret_expires_at'),
  /** The service key that made it, by name. */
  createdBy: text('created_by').notNull(),
  createdAt: timestamptz('created_at').notNull(),
  disabledAt: timestamptz('disabled_at'),
  /** Why it stopped: `GONE` (it answered 410) or the name of the key that disabled it. */
  disabledReason: text('disabled_reason'),
});

/**
 * Every session event, written in the transaction of the change it records (the transactional
 * outbox): it exists if and only if the change committed. `data` is the event as it is sent.
 */
export const outboxEvents = pgTable('outbox_events', {
  id: uuid('id').primaryKey().defaultRandom(),
  /** Commit order for one session: the session's row lock serialises the transactions that write its events. */
  seq: bigint('seq', { mode: 'number' }).generatedAlwaysAsIdentity().notNull(),
  type: text('type').notNull(),
  userId: uuid('user_id').notNull(),
  sessionId: uuid('session_id'),
  occurredAt: timestamptz('occurred_at').notNull(),
  data: jsonb('data').notNull(),
}, (t) => [index('outbox_events_occurred_at_idx').on(t.occurredAt)]);

/** One event on its way to one endpoint: claimed by one instance at a time, retried until delivered or out of time. */
export const webhookDeliveries = pgTable('webhook_deliveries', {
  id: uuid('id').primaryKey().defaultRandom(),
  eventId: uuid('event_id').notNull().references(() => outboxEvents.id, { onDelete: 'cascade' }),
  endpointId: uuid('endpoint_id').notNull().references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
  /** The event's `seq`: deliveries of one ordering key go out in this order. */
  eventSeq: bigint('event_seq', { mode: 'number' }).notNull(),
  /** The session the event concerns, else its user: what order is kept within. */
  orderingKey: uuid('ordering_key').notNull(),
  status: webhookDeliveryStatusEnum('status').notNull().default('PENDING'),
  attempts: integer('attempts').notNull().default(0),
  nextAttemptAt: timestamptz('next_attempt_at').notNull(),
  /** While set and ahead, an instance is delivering it; once past, the claim lapsed (that instance died) and another may. */
  claimedUntil: timestamptz('claimed_until'),
  /** Retries stop at this moment and the delivery is FAILED. */
  retryUntil: timestamptz('retry_until').notNull(),
  lastAttemptAt: timestamptz('last_attempt_at'),
  /** The HTTP status of the last answer, if there was one. */
  lastResponseStatus: integer('last_response_status'),
  /** Why the last attempt failed, in words (never the answer's body). */
  lastError: text('last_error'),
  createdAt: timestamptz('created_at').notNull(),
  /** When it was delivered or given up. */
  finishedAt: timestamptz('finished_at'),
}, (t) => [
  index('webhook_deliveries_event_id_idx').on(t.eventId),
  // The claim walks an endpoint's pending deliveries oldest first (and the admin list its deliveries
  // of a status), asking of each whether it is the oldest of its key still pending. Only these two:
  // with an index on next_attempt_at too, Postgres on a table without statistics answered that
  // question with it, reading every pending delivery per candidate.
  index('webhook_deliveries_endpoint_status_idx').on(t.endpointId, t.status, t.eventSeq),
  index('webhook_deliveries_pending_key_idx').on(t.endpointId, t.orderingKey, t.eventSeq).where(sql`${t.status} = 'PENDING'`),
]);

export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
export type WebhookFormat = (typeof webhookFormatEnum.enumValues)[number];
export type WebhookDeliveryStatus = (typeof webhookDeliveryStatusEnum.enumValues)[number];
