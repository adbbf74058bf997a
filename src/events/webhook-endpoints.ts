import { randomBytes } from 'node:crypto';
import { and, asc, desc, eq, getTableColumns, gte, inArray, isNotNull, isNull, lt, sql } from 'drizzle-orm';
import type { Clock } from '../clock.js';
import type { Db } from '../db/client.js';
import { outboxEvents, webhookDeliveries, webhookEndpoints, type WebhookDeliveryStatus, type WebhookEndpointRow, type WebhookFormat } from '../db/schema.js';
import { describeUrlProblem, type AddressPolicy } from './endpoint-address.js';
import type { WebhookEventType } from './event-types.js';
import { EVENT_TYPES_OF_FORMAT, type EndpointCredentials } from './formats.js';
import { DELIVERIES_CHANNEL } from './outbox.js';

/** Enabled endpoints at most: each one is a pump on every instance. */
export const MAX_ENABLED_ENDPOINTS = 50;
/** After a rotation, the old secret signs beside the new one this long, so receivers can switch without losing a delivery. */
export const PREVIOUS_SECRET_GRACE_HOURS = 24;
// Any fixed number: serialises the count-then-insert of endpoint creation across instances.
const ENDPOINT_LIMIT_LOCK_KEY = 7_340_112_016;

/** An endpoint as it may be shown: never its secret. */
export type WebhookEndpointInfo = Omit<WebhookEndpointRow, 'secret' | 'previousSecret' | 'eventTypes'> & { eventTypes: WebhookEventType[] };

/** An enabled endpoint as the dispatcher needs it. */
export interface EndpointTarget {
  id: string;
  url: string;
  credentials: EndpointCredentials;
}

export interface NewEndpoint {
  url: string;
  format: WebhookFormat;
  eventTypes?: readonly WebhookEventType[] | null;
  description?: string | null;
  audience?: string | null;
}

/** A refusal in words, with the input field it is about. */
export interface EndpointProblem {
  field: string;
  message: string;
}

export interface DeliveryPageItem {
  id: string;
  eventId: string;
  eventType: WebhookEventType;
  userId: string;
  sessionId: string | null;
  occurredAt: Date;
  status: WebhookDeliveryStatus;
  attempts: number;
  nextAttemptAt: Date;
  lastAttemptAt: Date | null;
  lastResponseStatus: number | null;
  lastError: string | null;
  finishedAt: Date | null;
  eventSeq: number;
}

export type WebhookEndpoints = ReturnType<typeof createWebhookEndpoints>;

const { secret: _secret, previousSecret: _previous, ...infoColumns } = getTableColumns(webhookEndpoints);

/** Endpoints made, changed and read by the admin API (`webhooks:manage`), and read by the dispatcher. */
export function createWebhookEndpoints({ db, clock, policy, retryHours }: { db: Db; clock: Clock; policy: AddressPolicy; retryHours: number }) {
  const byId = (id: string) => eq(webhookEndpoints.id, id);

  /** Applies `values` to the endpoint and tells every dispatcher, in one transaction; null when there is no such endpoint. */
  async function change(id: string, values: Partial<WebhookEndpointRow>, tx: Db): Promise<WebhookEndpointInfo | null> {
    const [row] = await tx.update(webhookEndpoints).set(values).where(byId(id)).returning(infoColumns);
    if (row) await notifyEndpointsChanged(tx);
    return (row as WebhookEndpointInfo | undefined) ?? null;
  }

  return {
    /** Checks and stores a new endpoint; a Standard Webhooks endpoint's secret is returned this once. */
    async create(input: NewEndpoint, createdBy: string): Promise<{ ok: true; endpoint: WebhookEndpointInfo; secret: string | null } | { ok: false; problems: EndpointProblem[] }> {
      const problems = problemsOf(input, policy);
      if (problems.length > 0) return { ok: false, problems };
      const secret = input.format === 'STANDARD_WEBHOOKS' ? newSecret() : null;
      const created = await db.transaction(async (tx) => {
        if (!(await hasRoomForOneMore(tx))) return null;
        const [row] = await tx.insert(webhookEndpoints).values({
          url: input.url,
          format: input.format,
          eventTypes: [...new Set(input.eventTypes?.length ? input.eventTypes : EVENT_TYPES_OF_FORMAT[input.format])],
          description: input.description ?? null,
          audience: input.format === 'STANDARD_WEBHOOKS' ? null : (input.audience ?? new URL(input.url).origin),
          secret,
          createdBy,
          createdAt: clock.now(),
        }).returning(infoColumns);
        await notifyEndpointsChanged(tx);
        return row as WebhookEndpointInfo;
      });
      if (!created) return { ok: false, problems: [TOO_MANY_ENDPOINTS] };
      return { ok: true, endpoint: created, secret };
    },

    list(): Promise<WebhookEndpointInfo[]> {
      return db.select(infoColumns).from(webhookEndpoints).orderBy(asc(webhookEndpoints.createdAt)) as Promise<WebhookEndpointInfo[]>;
    },

    /** Stops deliveries to it; those pending wait for `enable`. `reason` is the key's name, or GONE when it answered 410. */
    disable(id: string, reason: string): Promise<WebhookEndpointInfo | null> {
      return db.transaction((tx) => change(id, { disabledAt: clock.now(), disabledReason: reason }, tx));
    },

    /** Resumes deliveries, those that waited first; refused when MAX_ENABLED_ENDPOINTS are enabled already. */
    async enable(id: string): Promise<{ ok: true; endpoint: WebhookEndpointInfo | null } | { ok: false; problems: EndpointProblem[] }> {
      const enabled = await db.transaction(async (tx) => {
        const [current] = await tx.select({ disabledAt: webhookEndpoints.disabledAt }).from(webhookEndpoints).where(byId(id));
        if (current?.disabledAt && !(await hasRoomForOneMore(tx))) return undefined;
        return change(id, { disabledAt: null, disabledReason: null }, tx);
      });
      return enabled === undefined ? { ok: false, problems: [TOO_MANY_ENDPOINTS] } : { ok: true, endpoint: enabled };
    },

    /** A new secret, returned this once; the old one keeps signing beside it for PREVIOUS_SECRET_GRACE_HOURS. Null for no such endpoint, or one without a secret. */
    async rotateSecret(id: string): Promise<{ endpoint: WebhookEndpointInfo; secret: string } | null> {
      const secret = newSecret();
      const rotated = await db.transaction(async (tx) => {
        const [row] = await tx.update(webhookEndpoints)
          .set({ secret, previousSecret: sql`${webhookEndpoints.secret}`, previousSecretExpiresAt: sql`now() + make_interval(hours => ${PREVIOUS_SECRET_GRACE_HOURS})` })
          .where(and(byId(id), isNotNull(webhookEndpoints.secret)))
          .returning(infoColumns);
        if (row) await notifyEndpointsChanged(tx);
        return row as WebhookEndpointInfo | undefined;
      });
      return rotated ? { endpoint: rotated, secret } : null;
    },

    /** Every enabled endpoint with what signing needs: the dispatcher's view. */
    async targets(): Promise<EndpointTarget[]> {
      const rows = await db
        .select({
          id: webhookEndpoints.id, url: webhookEndpoints.url, format: webhookEndpoints.format, audience: webhookEndpoints.audience, secret: webhookEndpoints.secret,
          previousSecret: sql<string | null>`CASE WHEN ${webhookEndpoints.previousSecretExpiresAt} > now() THEN ${webhookEndpoints.previousSecret} END`,
        })
        .from(webhookEndpoints)
        .where(isNull(webhookEndpoints.disabledAt));
      return rows.map((row) => ({
        id: row.id,
        url: row.url,
        credentials: { format: row.format, audience: row.audience ?? '', secrets: [row.secret, row.previousSecret].filter((secret): secret is string => Boolean(secret)) },
      }));
    },

    /** An endpoint's deliveries of one status, newest event first, `first` of them after the cursor's; and whether any precede the cursor's. */
    async deliveries(endpointId: string, status: WebhookDeliveryStatus, first: number, afterSeq: number | null): Promise<{ items: DeliveryPageItem[]; hasNextPage: boolean; hasPreviousPage: boolean }> {
      const ofStatus = and(eq(webhookDeliveries.endpointId, endpointId), eq(webhookDeliveries.status, status));
      const earlier = afterSeq === null
        ? []
        : await db.select({ id: webhookDeliveries.id }).from(webhookDeliveries).where(and(ofStatus, gte(webhookDeliveries.eventSeq, afterSeq))).limit(1);
      const rows = await db
        .select({
          id: webhookDeliveries.id, eventId: webhookDeliveries.eventId, eventType: outboxEvents.type, userId: outboxEvents.userId, sessionId: outboxEvents.sessionId,
          occurredAt: outboxEvents.occurredAt, status: webhookDeliveries.status, attempts: webhookDeliveries.attempts, nextAttemptAt: webhookDeliveries.nextAttemptAt,
          lastAttemptAt: webhookDeliveries.lastAttemptAt, lastResponseStatus: webhookDeliveries.lastResponseStatus, lastError: webhookDeliveries.lastError,
          finishedAt: webhookDeliveries.finishedAt, eventSeq: webhookDeliveries.eventSeq,
        })
        .from(webhookDeliveries)
        .innerJoin(outboxEvents, eq(outboxEvents.id, webhookDeliveries.eventId))
        .where(and(ofStatus, afterSeq === null ? undefined : lt(webhookDeliveries.eventSeq, afterSeq)))
        .orderBy(desc(webhookDeliveries.eventSeq))
        .limit(first + 1);
      return { items: rows.slice(0, first) as DeliveryPageItem[], hasNextPage: rows.length > first, hasPreviousPage: earlier.length > 0 };
    },

    /** Sends failed deliveries again, with a new retry period: those given, or all of the endpoint's. Returns how many. */
    async redeliver(endpointId: string, deliveryIds: readonly string[] | null): Promise<number> {
      return db.transaction(async (tx) => {
        const rows = await tx.update(webhookDeliveries)
          .set({
            status: 'PENDING', attempts: 0, nextAttemptAt: sql`now()`, retryUntil: sql`now() + make_interval(hours => ${retryHours})`,
            claimedUntil: null, finishedAt: null,
          })
          .where(and(eq(webhookDeliveries.endpointId, endpointId), eq(webhookDeliveries.status, 'FAILED'), deliveryIds ? inArray(webhookDeliveries.id, [...deliveryIds]) : undefined))
          .returning({ id: webhookDeliveries.id });
        if (rows.length > 0) await tx.execute(sql`SELECT pg_notify(${DELIVERIES_CHANNEL}, ${endpointId})`);
        return rows.length;
      });
    },
  };
}

const TOO_MANY_ENDPOINTS: EndpointProblem = { field: 'input', message: `At most ${MAX_ENABLED_ENDPOINTS} endpoints may be enabled; disable one first.` };

/** Whether one more endpoint may be enabled; holds the limit's lock until `tx` ends, so two cannot both take the last place. */
async function hasRoomForOneMore(tx: Db): Promise<boolean> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(${ENDPOINT_LIMIT_LOCK_KEY})`);
  const [row] = await tx.select({ count: sql<number>`count(*)::int` }).from(webhookEndpoints).where(isNull(webhookEndpoints.disabledAt));
  return (row?.count ?? 0) < MAX_ENABLED_ENDPOINTS;
}

/** Every dispatcher reloads its endpoints once this commits. */
function notifyEndpointsChanged(tx: Db): Promise<unknown> {
  return tx.execute(sql`SELECT pg_notify(${DELIVERIES_CHANNEL}, 'endpoints')`);
}

/** `whsec_` and 32 random bytes in base64, as Standard Webhooks libraries expect. */
function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

function problemsOf(input: NewEndpoint, policy: AddressPolicy): EndpointProblem[] {
  const problems: EndpointProblem[] = [];
  const urlProblem = describeUrlProblem(input.url, policy);
  if (urlProblem) problems.push({ field: 'input.url', message: urlProblem });
  const allowed = EVENT_TYPES_OF_FORMAT[input.format];
  const unsupported = (input.eventTypes ?? []).filter((type) => !allowed.includes(type));
  if (unsupported.length > 0) problems.push({ field: 'input.eventTypes', message: `${input.format} carries ${allowed.join(', ')} only; not ${unsupported.join(', ')}.` });
  if (input.audience && input.format === 'STANDARD_WEBHOOKS') problems.push({ field: 'input.audience', message: 'audience is for the token formats (SECURITY_EVENT_TOKEN, BACK_CHANNEL_LOGOUT).' });
  return problems;
}

/** Opaque to clients: base64url of a tagged position. */
export function encodeDeliveryCursor(eventSeq: number): string {
  return Buffer.from(`wd:${eventSeq}`).toString('base64url');
}

/** The position, or null when the string is not one of ours. */
export function decodeDeliveryCursor(cursor: string): number | null {
  if (cursor.length > 40) return null;
  const match = /^wd:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString());
  return match ? Number(match[1]) : null;
}
