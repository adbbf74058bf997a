// `npm run cleanup`: one run of the cleanup job against the configured database, then exit.
import { systemClock } from '../clock.js';
import { loadConfig, StartupError } from '../config.js';
import { openDatabaseWhenReachable } from '../db/connect.js';
import { runCleanup } from '../jobs/cleanup.js';
import { createLogger } from '../logger.js';
import { cleanupSettings } from '../services.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config);
  const database = await openDatabaseWhenReachable({ url: config.databaseUrl, dataDir: config.dataDir, schema: config.databaseSchema }, logger, config.databaseConnectTimeoutSeconds);
  try {
    await runCleanup({ database, clock: systemClock, logger, ...cleanupSettings(config) });
  } finally {
    await database.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof StartupError ? error.message : error);
  process.exit(1);
});
