import { resolveAuthSecret } from './auth/secret.js';
import { loadConfig, StartupError } from './config.js';
import { openDatabaseWhenReachable } from './db/connect.js';
import { openGeolocator } from './devices/geolocation.js';
import { createLogger } from './logger.js';
import { startServer } from './server.js';

const SHUTDOWN_DEADLINE_MS = 10_000;

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config);
  const { secret, source } = await resolveAuthSecret(config);
  if (source === 'generated') logger.warn({ dataDir: config.dataDir }, 'no AUTH_SECRET set: generated one and stored it in the data directory');
  const geolocator = await openGeolocator(config.geoip, config.geoipDatabase);
  const database = await openDatabaseWhenReachable({ url: config.databaseUrl, dataDir: config.dataDir, schema: config.databaseSchema }, logger, config.databaseConnectTimeoutSeconds);
  const server = await startServer({ config, database, logger, authSecret: secret, geolocator });
  logger.info(
    { port: config.port, url: server.url, driver: database.driver, dataDir: database.driver === 'pglite' ? config.dataDir : undefined },
    'server started',
  );

  let isStopping = false;
  const stop = async (signal: string) => {
    if (isStopping) return;
    isStopping = true;
    logger.info({ signal }, 'shutting down');
    // Whatever hangs, the process is gone within 10 s.
    setTimeout(() => {
      logger.error('shutdown took longer than 10 s; exiting anyway');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    await server.close();
    await database.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  // Set-up mistakes get one plain line; anything else its stack.
  console.error(error instanceof StartupError ? error.message : error);
  process.exit(1);
});
