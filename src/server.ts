import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import type { GraphQLSchema } from 'graphql';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import { createContextBuilder, type Context } from './context.js';
import type { Database } from './db/client.js';
import type { Geolocator } from './devices/geolocation.js';
import { ACCEPTED_CLIENT_HINTS } from './devices/client-hints.js';
import { createClientIpResolver } from './devices/client-ip.js';
import { BadRequestError, ErrorCode } from './errors.js';
import { serveExplorer } from './explorer/serve.js';
import type { Logger } from './logger.js';
import { createLiveConnections } from './realtime/live-connections.js';
import { createNotifyRevocationBus } from './realtime/revocation-bus.js';
import { deliverRevocations } from './realtime/revocation-delivery.js';
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
import { createServices, startJobs } from './services.js';

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
  /**
   * Request ids, metrics and the GraphQL limits. Off only to weigh what they cost
   * (`tests/bench/surface-overhead.ts`); no setting turns them off. @default true
   */
  operationalLayers?: boolean;
}

export interface RunningServer {
  /** The GraphQL endpoint, e.g. `http://127.0.0.1:4000/graphql`. */
  url: string;
  httpServer: Server;
  /**
   * Closes every WebSocket with 1001 (going away), stops accepting, finishes in-flight requests,
   * and stops listening for revocations. The database stays open.
   */
  close(): Promise<void>;
}

/** Wires HTTP, WebSocket, Apollo and the services together and starts listening. */
export async function startServer(deps: ServerDeps): Promise<RunningServer> {
  const { config, database, logger, authSecret, clock = systemClock, geolocator, operationalLayers = true } = deps;
  const metrics = createMetrics({ processMetrics: config.metrics && operationalLayers });
  const bus = createNotifyRevocationBus(database, logger);
  const { revoker, ...services } = createServices({ config, database, bus, logger, authSecret, clock, geolocator, metrics });
  const { sessions } = services;
  const contexts = createContextBuilder({
    services,
    clientIp: createClientIpResolver(config.trustProxy),
    authFailures: metrics.authFailures,
    clock,
  });
  const connections = createLiveConnections({ logger, clock, onRevocationWritten: (seconds) => metrics.revocationPushLatency.observe(seconds) });
  addWebSocketGauges(metrics.registry, connections);
  await deliverRevocations({ bus, connections, sessions, logger });
  const jobs = startJobs({ config, database, revoker, clock, logger, metrics });

  const app = express();
  app.disable('x-powered-by');
  if (operationalLayers) app.use(assignRequestId);
  let isStopping = false;
  app.get('/healthz', healthz);
  app.get('/readyz', readyz({ db: database.db, isReceivingRevocations: bus.isReceiving, isStopping: () => isStopping }));
  if (config.metrics && operationalLayers) app.get('/metrics', serveMetrics({ registry: metrics.registry, token: config.metricsToken }));
  if (config.metrics && !config.metricsToken && config.nodeEnv === 'production') {
    logger.warn('METRICS is on without METRICS_TOKEN: anyone who can reach this port can read GET /metrics; set METRICS_TOKEN, or METRICS=off');
  }
  app.use('/graphql', ...allowOrigins(config.corsOrigins));
  app.use(serveExplorer({ config, logger }));
  const httpServer = createHttpServer(app);
  const schema = await buildAppSchema({ authFailures: metrics.authFailures });
  const checks = operationalLayers ? operationChecks(config) : { ...operationChecks(config), parseOptions: {}, validationRules: [] };
  const closeWebSockets = attachWebSocketServer({ httpServer, schema, checks, config, contexts, connections, logger });
  const operations = measureOperations(metrics);
  const apollo = createApollo({ schema, checks, httpServer, config, logger, plugins: operationalLayers ? [operations.plugin] : [] });
  await apollo.start();

  const httpContext = logContextFailures(logger, ({ req, res }: { req: express.Request; res: express.Response }) => contexts.http(req, res));
  app.use(
    '/graphql',
    askForClientHints,
    requireJsonBody,
    express.json({ limit: config.maxBodyBytes }),
    expressMiddleware(apollo, { context: operationalLayers ? operations.timed(httpContext) : httpContext }),
  );
  app.use(handleTransportError(logger));

  await listen(httpServer, config.port, config.host);
  httpServer.on('error', (error) => logger.error({ err: error }, 'unexpected HTTP server error'));
  const { port } = httpServer.address() as AddressInfo;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/graphql`,
    httpServer,
    close: async () => {
      isStopping = true;
      // Sockets first, with 1001, so their clients reconnect elsewhere while HTTP drains.
      await closeWebSockets();
      await apollo.stop();
      await Promise.all(jobs.map((job) => job.stop()));
      await bus.close();
    },
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
    introspection: checks.introspection,
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
function logContextFailures(logger: Logger, build: (args: { req: express.Request; res: express.Response }) => Promise<Context>) {
  return async (args: { req: express.Request; res: express.Response }): Promise<Context> => {
    try {
      return await build(args);
    } catch (error) {
      logger.error({ err: error, requestId: requestIdOf(args.req) }, 'unexpected error');
      throw error;
    }
  };
}

/** Apollo would run a subscription over HTTP as if it were a query; say where it is served instead. */
const refuseSubscriptionsOverHttp: ApolloServerPlugin<Context> = {
  requestDidStart: async () => ({
    didResolveOperation: async ({ operation }) => {
      if (operation?.operation !== 'subscription') return;
      throw new BadRequestError('Subscriptions are served over WebSocket (graphql-transport-ws) at this same URL.');
    },
  }),
};

/** Browsers send the precise Client Hints (Windows 11, the full browser version) only when asked. */
const askForClientHints: RequestHandler = (_req, res, next) => {
  res.setHeader('Accept-CH', ACCEPTED_CLIENT_HINTS);
  next();
};

/** POST bodies must be JSON: anything else is refused here with a clear 415, not left to CSRF checks. */
const requireJsonBody: RequestHandler = (req, res, next) => {
  if (req.method !== 'POST' || req.is('application/json')) return next();
  sendTransportError(res, 415, 'POST requests to /graphql must have Content-Type: application/json.');
};

/** Malformed JSON and oversized bodies get a GraphQL-shaped 4xx instead of Express's HTML page. */
function handleTransportError(logger: Logger): ErrorRequestHandler {
  return (error: { status?: number; type?: string }, req, res, _next) => {
    if (error.type === 'entity.too.large') return sendTransportError(res, 413, 'Request body is too large.');
    if (error.type === 'entity.parse.failed') return sendTransportError(res, 400, 'Request body is not valid JSON.');
    if (error.status && error.status >= 400 && error.status < 500) return sendTransportError(res, error.status, 'Bad request.');
    logger.error({ err: error, requestId: requestIdOf(req) }, 'unexpected transport error');
    sendTransportError(res, 500, 'Internal server error.');
  };
}

function sendTransportError(res: express.Response, status: number, message: string): void {
  const code = status >= 500 ? ErrorCode.InternalServerError : ErrorCode.BadRequest;
  res.status(status).json({ errors: [{ message, extensions: { code } }] });
}
