import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Every metric of ours starts with this; Node's process metrics keep their usual names. */
const PREFIX = 'session_server_';

/** How an HTTP GraphQL operation ended: no errors, errors in the result, or never a runnable operation (syntax, validation, limits). */
export type OperationOutcome = 'success' | 'error' | 'invalid';

/** How a `login` ended: a session, a wrong email or password, or refused unchecked by the throttle. */
export type LoginOutcome = 'success' | 'failure' | 'throttled';

/** Why a request got no session: no token where one was needed, or a token that failed its check. */
export type AuthFailureReason = 'missing' | 'malformed' | 'expired' | 'revoked' | 'rotated' | 'dpop';

/** The tables the cleanup job deletes from. */
export type CleanupTable = 'sessions' | 'security_events' | 'login_failures' | 'sign_up_attempts' | 'outbox_events' | 'webhook_deliveries' | 'dpop_proofs';

/** A counter whose label values the compiler checks, so a typo cannot open a new series. */
export interface LabelledCounter<Labels> {
  inc(labels: Labels, value?: number): void;
  /** The series of these labels, to keep and count on without finding it again. */
  labels(labels: Labels): { inc(value?: number): void };
}

export interface LabelledHistogram<Labels> {
  observe(labels: Labels, value: number): void;
  /** The series of these labels, to keep and observe on without finding it again. */
  labels(labels: Labels): { observe(value: number): void };
}

export interface OperationLabels {
  /** The operation's name, `anonymous`, or `other` past the cap (see `measureOperations`). */
  operation: string;
  /** `query`, `mutation`, `subscription`, or `unknown` when the document never resolved to an operation. */
  type: string;
  outcome: OperationOutcome;
}

/** One server instance's metrics: its own registry, and what records into it. */
export interface Metrics {
  /** Never prom-client's global registry: several servers may run in one process (the tests do). */
  registry: Registry;
  graphqlOperations: LabelledCounter<OperationLabels>;
  graphqlOperationDuration: LabelledHistogram<OperationLabels>;
  authFailures: LabelledCounter<{ reason: AuthFailureReason }>;
  logins: LabelledCounter<{ outcome: LoginOutcome }>;
  /** Seconds from this instance hearing of a revocation to its `sessionRevoked` event written to a socket. */
  revocationPushLatency: { observe(seconds: number): void };
  cleanupRowsRemoved: LabelledCounter<{ table: CleanupTable }>;
  webhookAttempts: LabelledCounter<{ outcome: WebhookAttemptOutcome }>;
}

export type WebhookAttemptOutcome = 'delivered' | 'retrying' | 'failed' | 'gone';

export interface MetricsOptions {
  /**
   * Also collect Node's process metrics (CPU, memory, event loop lag, GC). They keep a GC
   * observer and an event-loop monitor running, so a server that serves no metrics skips them.
   * @default true
   */
  processMetrics?: boolean;
}

/** Seconds, from 1 ms: an authenticated query takes a few milliseconds. */
const OPERATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Seconds, from 1 ms (most pushes take less) to 5 s; a socket that does not take its event is closed after 1 s. */
const PUSH_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** Creates a registry with every metric of the server in it; recording is cheap whether or not anyone scrapes. */
export function createMetrics({ processMetrics = true }: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  const registers = [registry];
  if (processMetrics) collectDefaultMetrics({ register: registry });
  const operationLabels = ['operation', 'type', 'outcome'] as const;
  return {
    registry,
    graphqlOperations: new Counter({
      name: `${PREFIX}graphql_operations_total`,
      help: 'GraphQL operations over HTTP, by operation name, type and outcome.',
      labelNames: operationLabels,
      registers,
    }),
    graphqlOperationDuration: new Histogram({
      name: `${PREFIX}graphql_operation_duration_seconds`,
      help: 'Seconds from the access-token check that opens a GraphQL request over HTTP to its response being ready.',
      labelNames: operationLabels,
      buckets: OPERATION_BUCKETS,
      registers,
    }),
    authFailures: counterOf(registry, 'auth_failures_total', 'Failed authentications, by reason: missing, malformed, expired, revoked, rotated or dpop (a DPoP proof missing or refused).', 'reason', ['missing', 'malformed', 'expired', 'revoked', 'rotated', 'dpop']),
    logins: counterOf(registry, 'logins_total', 'login mutations, by outcome: success, failure (wrong email or password) or throttled (refused unchecked).', 'outcome', ['success', 'failure', 'throttled']),
    revocationPushLatency: new Histogram({
      name: `${PREFIX}revocation_push_latency_seconds`,
      help: 'Seconds from this instance hearing of a revocation (its notification, or a re-check) to the sessionRevoked event written to a socket.',
      buckets: PUSH_BUCKETS,
      registers,
    }),
    cleanupRowsRemoved: counterOf(registry, 'cleanup_rows_removed_total', 'Rows the cleanup job deleted, by table.', 'table', ['sessions', 'security_events', 'login_failures', 'sign_up_attempts', 'outbox_events', 'webhook_deliveries', 'dpop_proofs']),
    webhookAttempts: counterOf(
      registry, 'webhook_delivery_attempts_total',
      'Deliveries of session events to endpoints, by outcome: delivered, retrying (failed, tried again later), failed (out of retries) or gone (410: endpoint disabled).',
      'outcome', ['delivered', 'retrying', 'failed', 'gone'],
    ),
  };
}

/** What the WebSocket gauges read. */
export interface SocketCounts {
  /** Open connections that passed their session check. */
  readonly size: number;
  subscriptionCount(): number;
}

/** The WebSocket gauges, read from the live connections at each scrape, so they cannot drift as inc/dec could. */
export function addWebSocketGauges(registry: Registry, sockets: SocketCounts): void {
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({ name: `${PREFIX}${name}`, help, registers: [registry], collect() { this.set(read()); } });
  gauge('websocket_connections', 'Open WebSocket connections that passed their session check.', () => sockets.size);
  gauge('websocket_subscriptions', 'Subscriptions (sessionRevoked, mySessionsChanged) running on those connections.', () => sockets.subscriptionCount());
}

/** A counter with one label whose every value exists from the start, at 0, so `rate()` sees the first event. */
function counterOf<Label extends string, Value extends string>(
  registry: Registry, name: string, help: string, label: Label, values: readonly Value[],
): LabelledCounter<Record<Label, Value>> {
  const counter = new Counter({ name: `${PREFIX}${name}`, help, labelNames: [label], registers: [registry] });
  for (const value of values) counter.inc({ [label]: value } as Record<Label, Value>, 0);
  return counter;
}
