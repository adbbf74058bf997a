/**
 * The server as `dist/main.js` starts it (`full`), or the same services and schema behind Apollo
 * alone (`bare`: no request ids, metrics, GraphQL limits, origin checks, explorer or WebSocket),
 * so that one benchmark can weigh everything the shipped surface adds to a query.
 * Usage: node --import tsx tests/bench/lib/surface-server.ts full|bare
 */
import { createServer } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { resolveAuthSecret } from '../../../src/auth/secret.js';
import { systemClock } from '../../../src/clock.js';
import { loadConfig } from '../../../src/config.js';
import { createContextBuilder, type Context } from '../../../src/context.js';
import { openDatabaseWhenReachable } from '../../../src/db/connect.js';
import { createClientIpResolver } from '../../../src/devices/client-ip.js';
import { openGeolocator } from '../../../src/devices/geolocation.js';
import { graphqlEndpoint } from '../../../src/http/graphql-endpoint.js';
import { createRequestUrlResolver } from '../../../src/http/request-url.js';
import { listen } from '../../../src/listen.js';
import { createLogger } from '../../../src/logger.js';
import { createMetrics } from '../../../src/metrics.js';
import { createNotifySessionEventBus } from '../../../src/realtime/session-event-bus.js';
import { buildAppSchema } from '../../../src/schema.js';
import { startServer } from '../../../src/server.js';
import { createServices } from '../../../src/services.js';

const variant = process.argv[2];
if (variant !== 'full' && variant !== 'bare') throw new Error('usage: surface-server.ts full|bare');

const config = loadConfig();
const logger = createLogger(config);
const { secret } = await resolveAuthSecret(config);
const geolocator = await openGeolocator(config.geoip, config.geoipDatabase);
const database = await openDatabaseWhenReachable({ url: config.databaseUrl, dataDir: config.dataDir }, logger, config.databaseConnectTimeoutSeconds);
const close = variant === 'full' ? (await startServer({ config, database, logger, authSecret: secret, geolocator })).close : await startBare();

process.once('SIGTERM', async () => {
  await close();
  await database.close();
  process.exit(0);
});

async function startBare(): Promise<() => Promise<void>> {
  const metrics = createMetrics({ processMetrics: false });
  const bus = createNotifySessionEventBus(database, logger);
  const { revoker: _revoker, ...services } = createServices({ config, database, bus, logger, authSecret: secret, clock: systemClock, geolocator, metrics });
  const contexts = createContextBuilder({
    services, clientIp: createClientIpResolver(config.trustProxy), requestUrl: createRequestUrlResolver(config.trustProxy),
    isDpopRequired: false, authFailures: metrics.authFailures, clock: systemClock,
  });
  const apollo = new ApolloServer<Context>({ schema: await buildAppSchema() });
  await apollo.start();
  const httpServer = createServer(graphqlEndpoint({ apollo, context: (request, response) => contexts.http(request, response), maxBodyBytes: config.maxBodyBytes }));
  await listen(httpServer, config.port, config.host);
  return async () => {
    await apollo.stop();
    await new Promise((resolve) => httpServer.close(resolve));
  };
}
