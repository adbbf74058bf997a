/**
 * The server, started the way `dist/main.js` starts it, with its operational layers (request
 * ids, metrics, GraphQL limits) on (`full`) or off (`bare`), so that one benchmark can weigh them.
 * Usage: node --import tsx tests/bench/lib/surface-server.ts full|bare
 */
import { resolveAuthSecret } from '../../../src/auth/secret.js';
import { loadConfig } from '../../../src/config.js';
import { openDatabaseWhenReachable } from '../../../src/db/connect.js';
import { openGeolocator } from '../../../src/devices/geolocation.js';
import { createLogger } from '../../../src/logger.js';
import { startServer } from '../../../src/server.js';

const variant = process.argv[2];
if (variant !== 'full' && variant !== 'bare') throw new Error('usage: surface-server.ts full|bare');

const config = loadConfig();
const logger = createLogger(config);
const { secret } = await resolveAuthSecret(config);
const geolocator = await openGeolocator(config.geoip, config.geoipDatabase);
const database = await openDatabaseWhenReachable({ url: config.databaseUrl, dataDir: config.dataDir }, logger, config.databaseConnectTimeoutSeconds);
const server = await startServer({ config, database, logger, authSecret: secret, geolocator, operationalLayers: variant === 'full' });

process.once('SIGTERM', async () => {
  await server.close();
  await database.close();
  process.exit(0);
});
