import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApolloServerPlugin, GraphQLRequestContextWillSendResponse } from '@apollo/server';
import { getOperationAST } from 'graphql';
import type { Registry } from 'prom-client';
import { readBearerToken } from './bearer.js';
import type { Context } from './context.js';
import { SessionRequiredError } from './errors.js';
import { send, sendText, type Handler } from './http/respond.js';
import type { Metrics, OperationLabels } from './metrics.js';

/** A GraphQL name short enough to be a label value; anything else a client sends is `other`. */
const OPERATION_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,99}$/;

export interface MetricsEndpointOptions {
  registry: Registry;
  /** When set, a scrape must send `Authorization: Bearer <token>`. @default undefined (no token needed) */
  token?: string;
}

/** `GET /metrics`: the registry in Prometheus text format; 401 without the right token when one is set. */
export function serveMetrics({ registry, token }: MetricsEndpointOptions): Handler {
  const expected = token === undefined ? undefined : sha256(token);
  return async (request, response) => {
    if (expected && !isBearer(request.headers.authorization, expected)) {
      response.setHeader('WWW-Authenticate', 'Bearer');
      return sendText(response, 401, 'Metrics need Authorization: Bearer <METRICS_TOKEN>.\n');
    }
    send(response, 200, registry.contentType, await registry.metrics());
  };
}

function isBearer(header: string | undefined, expected: Buffer): boolean {
  const given = header === undefined ? undefined : readBearerToken(header);
  // Digests are always 32 bytes, so the comparison takes the same time whatever was sent, its length included.
  return given !== undefined && timingSafeEqual(sha256(given), expected);
}

/** The operation's name; for a document that failed validation, the name it would have had. */
function operationNameOf({ operation, operationName, document, request }: GraphQLRequestContextWillSendResponse<Context>): string | null | undefined {
  if (operation) return operationName;
  return (document && getOperationAST(document, request.operationName)?.name?.value) ?? request.operationName;
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

export interface OperationMetricsOptions {
  /** Most distinct operation names one instance labels; names seen after that count as `other`. @default 100 */
  maxOperationNames?: number;
}

/**
 * Counts and times every GraphQL operation over HTTP, and counts a request refused for want of a
 * token as `missing` once, however many guarded fields it asked for (a failed token was counted
 * when it was checked). `plugin` goes into Apollo's plugins; `timed` wraps the context function,
 * so the time includes the access-token check made there.
 */
export function measureOperations(
  metrics: Pick<Metrics, 'graphqlOperations' | 'graphqlOperationDuration' | 'authFailures'>,
  { maxOperationNames = 100 }: OperationMetricsOptions = {},
) {
  const startedAt = new WeakMap<Context, number>();
  // Clients choose operation names: without a cap, one could create series without end.
  const names = new Set<string>();
  const labelOf = (name: string | null | undefined): string => {
    if (!name) return 'anonymous';
    if (names.has(name)) return name;
    if (names.size >= maxOperationNames || !OPERATION_NAME.test(name)) return 'other';
    names.add(name);
    return name;
  };
  // Each series found once: prom-client checks and hashes the labels on every call otherwise.
  // Bounded like the names: at most (names + 2) × 4 types × 3 outcomes.
  const series = new Map<string, { count: { inc(): void }; duration: { observe(seconds: number): void } }>();
  const seriesOf = (labels: OperationLabels) => {
    const key = `${labels.operation} ${labels.type} ${labels.outcome}`;
    let found = series.get(key);
    if (!found) {
      found = { count: metrics.graphqlOperations.labels(labels), duration: metrics.graphqlOperationDuration.labels(labels) };
      series.set(key, found);
    }
    return found;
  };

  const plugin: ApolloServerPlugin<Context> = {
    async requestDidStart({ contextValue }) {
      const start = startedAt.get(contextValue) ?? performance.now();
      return {
        async willSendResponse(requestContext) {
          const { operation, errors } = requestContext;
          const { count, duration } = seriesOf({
            operation: labelOf(operationNameOf(requestContext)),
            type: operation?.operation ?? 'unknown',
            outcome: !errors?.length ? 'success' : operation ? 'error' : 'invalid',
          });
          count.inc();
          if (contextValue.auth.status === 'anonymous' && errors?.some((error) => error.originalError instanceof SessionRequiredError)) {
            metrics.authFailures.inc({ reason: 'missing' });
          }
          duration.observe((performance.now() - start) / 1000);
        },
      };
    },
  };

  return {
    plugin,
    timed<Args extends unknown[]>(buildContext: (...args: Args) => Promise<Context>): (...args: Args) => Promise<Context> {
      return async (...args) => {
        const start = performance.now();
        const context = await buildContext(...args);
        startedAt.set(context, start);
        return context;
      };
    },
  };
}
