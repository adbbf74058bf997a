import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import type { GraphQLSchema, OperationDefinitionNode } from 'graphql';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import { createContextBuilder, type Context } from './context.js';
import type { Database } from './db/client.js';
import type { Geolocator } from './devices/geolocation.js';
import { createClientIpResolver } from './devices/client-ip.js';
import { AppError, BadRequestError } from './errors.js';
import { serveAccountPage, type AccountRoute } from './account/serve.js';
import { serveExplorer, type ExplorerRoute } from './explorer/serve.js';
import { graphqlEndpoint } from './http/graphql-endpoint.js';
import { pathOf, sendText, sendTransportError, type Handler } from './http/respond.js';
import type { Logger } from './logger.js';
import { createLiveConnections } from './realtime/live-connections.js';
import { createRequestUrlResolver } from './http/request-url.js';
import { createRedisSessionEventBus } from './realtime/redis-session-event-bus.js';
import { createNotifySessionEventBus } from './realtime/session-event-bus.js';
import { deliverSessionEvents } from './realtime/session-event-delivery.js';
import { attachWebSocketServer } from './realtime/websocket-server.js';
import { formatError, logUnexpectedErrors } from './error-reporting.js';
import { operationChecks, type OperationChecks } from './graphql-limits.js';
import { allowOrigins } from './origins.js';
import { healthz, readyz } from './health.js';
import { listen } from './listen.js';
import { addWebSocketGauges, createMetrics } from './metrics.js';
import { measureOperations, serveMetrics } from './metrics-http.js';
import { assignRequestId, requestIdOf } from './request-id.js';
import { buildAppSchema } from './schema.js';
import { createServices, startJobs, startWebhookDispatcher, type JobName } from './services.js';
import { loadEventSigningKey, serveJwks } from './events/signing-key.js';

/** How long in-flight HTTP requests may take to finish at shutdown, within the 10 s a process gets. */
const HTTP_DRAIN_GRACE_MS = 8_000;

export interface ServerDeps {
  config: Config;
  database: Pick<Database, 'db' | 'sessionCheckDb' | 'listen' | 'tryWithLock'>;
  logger: Logger;
  authSecret: string;
  /** @default the system clock */
  clock?: Clock;
  geolocator: Geolocator;
}

export interface RunningServer {
  /** The GraphQL endpoint, e.g. `http://127.0.0.1:4000/graphql`. */
  url: string;
  httpServer: Server;
  /** Runs a background job now instead of at its next tick, and resolves once it is done: what tests wait on. */
  runJob(name: JobName): Promise<void>;
  /**
   * Subscriptions running on this instance's sockets, or on one session's: once one is counted, an
   * event published after reaches it. What tests wait on before publishing.
   */
  subscriptionCount(sessionId?: string): number;
  /**
   * Closes every WebSocket with 1001 (going away), stops accepting, finishes in-flight requests,
   * and stops listening for session events. The database stays open.
   */
  close(): Promise<void>;
}

/** Wires HTTP, WebSocket, Apollo and the services together and starts listening. */
export async function startServer(deps: ServerDeps): Promise<RunningServer> {
  const { config, database, logger, authSecret, clock = systemClock, geolocator } = deps;
  const metrics = createMetrics({ processMetrics: config.metrics });
  const bus = config.bus.kind === 'redis'
    ? createRedisSessionEventBus({ url: config.bus.redisUrl!, logger, resyncSeconds: config.bus.resyncSeconds })
    : createNotifySessionEventBus(database, logger);
  const { revoker, ...services } = createServices({ config, database, bus, logger, authSecret, clock, geolocator, metrics });
  const { sessions } = services;
  const requestUrl = createRequestUrlResolver(config.trustProxy);
  const contexts = createContextBuilder({
    services,
    clientIp: createClientIpResolver(config.trustProxy),
    requestUrl,
    isDpopRequired: config.dpop.policy === 'required',
    authFailures: metrics.authFailures,
    clock,
  });
  const connections = createLiveConnections({ logger, clock, onRevocationWritten: (seconds) => metrics.revocationPushLatency.observe(seconds) });
  addWebSocketGauges(metrics.registry, connections);
  await deliverSessionEvents({ bus, connections, sessions, logger });
  const jobs = startJobs({ config, database, revoker, clock, logger, metrics });
  const signingKey = await loadEventSigningKey(config.eventSigningKey, authSecret);

  let isStopping = false;
  const routes: Routes = {
    '/healthz': healthz,
    '/readyz': readyz({ db: database.db, isReceivingSessionEvents: bus.isReceiving, isStopping: () => isStopping }),
    '/.well-known/jwks.json': serveJwks(signingKey),
  };
  if (config.metrics) routes['/metrics'] = serveMetrics({ registry: metrics.registry, token: config.metricsToken });
  if (config.metrics && !config.metricsToken && config.nodeEnv === 'production') {
    logger.warn('METRICS is on without METRICS_TOKEN: anyone who can reach this port can read GET /metrics; set METRICS_TOKEN, or METRICS=off');
  }
  const httpServer = createHttpServer();
  const schema = await buildAppSchema();
  const checks = operationChecks(config);
  const closeWebSockets = attachWebSocketServer({ httpServer, schema, checks, config, contexts, connections, logger, requestUrl });
  const operations = measureOperations(metrics);
  const apollo = createApollo({ schema, checks, httpServer, config, logger, plugins: [operations.plugin] });
  await apollo.start();
  const graphql = graphqlEndpoint({
    apollo,
    context: operations.timed(logContextFailures(logger, (request, response) => contexts.http(request, response))),
    maxBodyBytes: config.maxBodyBytes,
  });
  httpServer.on('request', handleRequests({
    routes, graphql, explorer: serveExplorer({ config, logger }), account: serveAccountPage({ config, logger }), corsOrigins: config.corsOrigins, logger,
  }));

  await listen(httpServer, config.port, config.host);
  httpServer.on('error', (error) => logger.error({ err: error }, 'unexpected HTTP server error'));
  const { port } = httpServer.address() as AddressInfo;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const dispatcher = config.webhooks.delivery
    ? await startWebhookDispatcher({ config, database, services, signingKey, issuer: config.publicUrl ?? origin, logger, metrics })
    : undefined;
  return {
    url: `${origin}/graphql`,
    httpServer,
    runJob: (name) => jobs[name].runNow(),
    subscriptionCount: (sessionId) => connections.subscriptionCount(sessionId),
    close: async () => {
      isStopping = true;
      // Sockets first, with 1001, so their clients reconnect elsewhere while HTTP drains.
      await closeWebSockets();
      await apollo.stop();
      await Promise.all(Object.values(jobs).map((job) => job.stop()));
      await dispatcher?.close();
      await bus.close();
    },
  };
}

/** The plain GET endpoints beside GraphQL, by exact path. */
type Routes = Record<string, Handler>;

interface RequestRouting {
  routes: Routes;
  graphql: Handler;
  explorer: ExplorerRoute | undefined;
  account: AccountRoute | undefined;
  corsOrigins: readonly string[];
  logger: Logger;
}

/**
 * Every HTTP request: an id, then `/graphql` (and below it, as a proxy may add a slash) through
 * the origin check, the explorer and Apollo; the account page; the plain endpoints; else 404. A failure nobody
 * answered becomes a logged 500.
 */
function handleRequests({ routes, graphql, explorer, account, corsOrigins, logger }: RequestRouting) {
  const checkOrigin = allowOrigins(corsOrigins);
  const route = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = pathOf(request);
    if (path === '/graphql' || path.startsWith('/graphql/')) {
      if (!checkOrigin(request, response)) return;
      if (explorer && (await explorer(request, response, path))) return;
      return graphql(request, response);
    }
    if (account && (await account(request, response, path))) return;
    const handler = routes[path];
    if (handler && (request.method === 'GET' || request.method === 'HEAD')) return handler(request, response);
    sendText(response, 404, 'Not found.\n');
  };
  return (request: IncomingMessage, response: ServerResponse): void => {
    assignRequestId(request, response);
    route(request, response).catch((error: unknown) => {
      logger.error({ err: error, requestId: requestIdOf(request) }, 'unexpected transport error');
      if (!response.headersSent) sendTransportError(response, 500, 'Internal server error.');
      else response.destroy();
    });
  };
}

interface ApolloDeps {
  schema: GraphQLSchema;
  checks: OperationChecks;
  httpServer: Server;
  config: Config;
  logger: Logger;
  plugins: ApolloServerPlugin<Context>[];
}

function createApollo({ schema, checks, httpServer, config, logger, plugins }: ApolloDeps): ApolloServer<Context> {
  return new ApolloServer<Context>({
    schema,
    parseOptions: checks.parseOptions,
    validationRules: checks.validationRules,
    // Introspection is refused by a rule of ours among `validationRules`, whose message names the
    // INTROSPECTION setting; Apollo's own rule, added for `false`, would name its constructor option.
    introspection: true,
    hideSchemaDetailsFromClientErrors: !checks.introspection,
    // Stated although they are Apollo's defaults: a batch would multiply every limit.
    allowBatchedHttpRequests: false,
    // A request with any of these headers was preflighted if it came cross-origin, so it cannot be a
    // forged one. `authorization` admits GET queries (urql's default) that carry a token: no ambient
    // credential rides on them, and the refresh cookie is read by refreshSession, a mutation, only.
    csrfPrevention: { requestHeaders: ['authorization', 'x-apollo-operation-name', 'apollo-require-preflight'] },
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: HTTP_DRAIN_GRACE_MS }),
      ApolloServerPluginLandingPageDisabled(),
      refuseSubscriptionsOverHttp,
      logUnexpectedErrors(logger),
      // Nothing here is cacheable, and the plugin would instrument every field of every request.
      ApolloServerPluginCacheControlDisabled(),
      ...plugins,
    ],
    // main.ts owns shutdown, so Apollo must not act on SIGTERM by itself.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: config.nodeEnv === 'development',
    formatError: (formatted, error) => formatError(formatted, error, config.nodeEnv),
  });
}

/**
 * Apollo answers a context function's failure (the session lookup failing) with a 500 and logs
 * nothing, and no plugin hook of that moment knows the request: log it here, with its id.
 */
function logContextFailures(logger: Logger, build: (request: IncomingMessage, response: ServerResponse) => Promise<Context>) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<Context> => {
    try {
      return await build(request, response);
    } catch (error) {
      // A refusal meant for the client (a bad service key) is its answer, not a failure.
      if (!(error instanceof AppError)) logger.error({ err: error, requestId: requestIdOf(request) }, 'unexpected error');
      throw error;
    }
  };
}

/** Apollo would run a subscription over HTTP as if it were a query; say where it is served instead. */
const refuseSubscriptions = {
  didResolveOperation: async ({ operation }: { operation?: OperationDefinitionNode }) => {
    if (operation?.operation !== 'subscription') return;
    throw new BadRequestError('Subscriptions are served over WebSocket (graphql-transport-ws) at this same URL.');
  },
};
const refuseSubscriptionsOverHttp: ApolloServerPlugin<Context> = { requestDidStart: async () => refuseSubscriptions };
