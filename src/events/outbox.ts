import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { composeStatement, runStatement, type StatementPart } from '../db/statement.js';
import { outboxEvents, sessions, users, webhookDeliveries, webhookEndpoints } from '../db/schema.js';
import type { InitiatingEntity, OutboxEventInput, WebhookEventType } from './event-types.js';

/** Wakes every instance's dispatcher: the payload is the endpoint that has new deliveries, or `endpoints` when one changed. */
export const DELIVERIES_CHANNEL = 'webhook_deliveries';

export type Outbox = ReturnType<typeof createOutbox>;

/**
 * The transactional outbox: session events are written in the transaction of the change they
 * record, so an event exists exactly when its change committed, and the dispatcher delivers it
 * from there. Nothing is sent from inside a request.
 */
export function createOutbox({ retryHours }: { retryHours: number }) {
  /**
   * The parts of a statement (`composeStatement`) that write the events `source` selects, by the
   * columns of `INPUT_COLUMNS` and `device` (`deviceJson`), those an enabled endpoint wants,
   * with one delivery for each such endpoint, and wake those endpoints' dispatchers once it commits.
   */
  function parts(prefix: string, source: SQL): StatementPart[] {
    const [event, delivery] = [`${prefix}_outbox_event`, `${prefix}_outbox_delivery`].map((name) => sql.identifier(name));
    const now = sql`clock_timestamp()`;
    return [
      {
        name: `${prefix}_outbox_event`,
        query: sql`
          INSERT INTO ${outboxEvents} (type, user_id, session_id, occurred_at, data)
          SELECT i.type, i.user_id, i.session_id, i.occurred_at, i.device || jsonb_build_object(
            'userId', i.user_id, 'externalId', u.external_id, 'sessionId', i.session_id,
            'isNewDevice', i.is_new_device, 'reason', i.reason, 'note', i.note,
            'actor', jsonb_build_object('initiatedBy', i.initiated_by, 'sessionId', i.actor_session_id, 'serviceKey', i.actor_service_key))
          FROM (${source}) AS i JOIN ${users} u ON u.id = i.user_id
          -- The first check is uncorrelated, so made once before anything else: with no endpoint,
          -- nothing more is read. An event no endpoint wants has nowhere to go: a server without
          -- webhooks writes nothing.
          WHERE EXISTS (SELECT 1 FROM ${webhookEndpoints} WHERE disabled_at IS NULL)
            AND EXISTS (SELECT 1 FROM ${webhookEndpoints} wants WHERE wants.disabled_at IS NULL AND i.type = ANY(wants.event_types))
          ORDER BY i.position
          RETURNING id, seq, type, user_id, session_id`,
      },
      {
        name: `${prefix}_outbox_delivery`,
        query: sql`
          INSERT INTO ${webhookDeliveries} (event_id, endpoint_id, event_seq, ordering_key, next_attempt_at, retry_until, created_at)
          SELECT event.id, endpoint.id, event.seq, COALESCE(event.session_id, event.user_id), ${now}, ${now} + make_interval(hours => ${retryHours}), ${now}
          FROM ${event} AS event JOIN ${webhookEndpoints} endpoint ON endpoint.disabled_at IS NULL AND event.type = ANY(endpoint.event_types)
          RETURNING endpoint_id`,
      },
      {
        name: `${prefix}_outbox_woken`,
        query: sql`SELECT pg_notify(${DELIVERIES_CHANNEL}, woken.endpoint_id::text) FROM (SELECT DISTINCT endpoint_id FROM ${delivery}) AS woken`,
        isSideEffect: true,
      },
    ];
  }

  return {
    /**
     * The events of each session the part `changed` of a statement (`composeStatement`) returned,
     * `event.types` in that order for each, with its user, id and device, as parts of that statement.
     */
    partsFor(changed: string, event: OutboxChange): StatementPart[] {
      return parts(changed, sql`
        SELECT (changed.n * ${event.types.length} + kind.ordinal)::int AS position, kind.type, user_id, id AS session_id, ${event.at} AS occurred_at,
          ${event.initiatedBy}::text AS initiated_by, ${event.actorSessionId ?? sql`NULL::uuid`} AS actor_session_id,
          ${event.actorServiceKey ?? null}::text AS actor_service_key, ${event.note ?? null}::text AS note,
          ${event.reason ?? sql`NULL::text`} AS reason, ${event.isNewDevice ?? sql`NULL::boolean`} AS is_new_device, ${deviceJson('changed')} AS device
        FROM (SELECT *, row_number() OVER (ORDER BY id) AS n FROM ${sql.identifier(changed)}) AS changed
        CROSS JOIN jsonb_array_elements_text(${JSON.stringify(event.types)}::jsonb) WITH ORDINALITY AS kind(type, ordinal)`);
    },

    /**
     * Writes the events in `tx`, as `parts` does, in one statement whatever the count. Call it
     * after the change, so the session's row is read as the change left it.
     */
    async record(tx: Db, inputs: readonly OutboxEventInput[]): Promise<void> {
      if (inputs.length === 0) return;
      const rows = inputs.map((input, position) => ({
        position,
        type: input.type,
        user_id: input.userId,
        session_id: input.sessionId,
        occurred_at: input.at.toISOString(),
        initiated_by: input.initiatedBy,
        actor_session_id: input.actorSessionId ?? null,
        actor_service_key: input.actorServiceKey ?? null,
        note: input.note ?? null,
        reason: input.reason ?? null,
        is_new_device: input.isNewDevice ?? null,
      }));
      const source = sql`
        SELECT event.*, ${deviceJson('s')} AS device
        FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS event(${sql.raw(INPUT_COLUMNS)})
        LEFT JOIN ${sessions} s ON s.id = event.session_id`;
      await runStatement(tx, composeStatement(parts('recorded', source), sql`1`, 'recorded_outbox_event'));
    },
  };
}

/** The events of each session a statement changed (`partsFor`); each SQL is read over the changed row. */
export interface OutboxChange {
  types: WebhookEventType[];
  at: SQL;
  initiatedBy: InitiatingEntity;
  actorSessionId?: SQL;
  actorServiceKey?: string | null;
  note?: string | null;
  reason?: SQL;
  isNewDevice?: SQL;
}

/** The columns, with their types, of an event an outbox `source` selects, besides `device`. */
const INPUT_COLUMNS = `position int, type text, user_id uuid, session_id uuid, occurred_at timestamptz, initiated_by text,
  actor_session_id uuid, actor_service_key text, note text, reason text, is_new_device boolean`;

/** An event's device fields, from the session row (or RETURNING row) `alias`; all null without one. */
function deviceJson(alias: string): SQL {
  const row = sql.identifier(alias);
  return sql`jsonb_build_object(
    'deviceName', ${row}.device_name, 'deviceLabel', ${row}.device_label, 'deviceType', ${row}.device_type, 'ipAddress', ${row}.ip_address,
    'location', CASE WHEN ${row}.location_country_code IS NULL THEN NULL
      ELSE jsonb_build_object('city', ${row}.location_city, 'region', ${row}.location_region, 'countryCode', ${row}.location_country_code) END)`;
}
