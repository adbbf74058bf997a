// `npm run keys -- create --name billing --scopes sessions:issue,sessions:read [--expires-in-days 90]`,
// `npm run keys -- list`, `npm run keys -- revoke --name billing`: service keys, against the configured database.
import { parseArgs } from 'node:util';
import { createServiceKeys, describeKeyProblem, type ServiceKeyInfo, type ServiceKeyScope } from '../auth/service-keys.js';
import { systemClock } from '../clock.js';
import { loadConfig, StartupError } from '../config.js';
import { openDatabaseWhenReachable } from '../db/connect.js';
import { isUniqueViolation } from '../db/errors.js';
import { createLogger } from '../logger.js';

const USAGE = `Usage:
  npm run keys -- create --name <name> --scopes <scope,scope…> [--expires-in-days <days>]
  npm run keys -- list
  npm run keys -- revoke --name <name>`;

class UsageError extends StartupError {}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { name: { type: 'string' }, scopes: { type: 'string' }, 'expires-in-days': { type: 'string' } },
  });
  const command = positionals[0];
  if (command !== 'create' && command !== 'list' && command !== 'revoke') throw new UsageError(USAGE);
  const config = loadConfig();
  const logger = createLogger({ ...config, logLevel: 'warn' });
  const database = await openDatabaseWhenReachable({ url: config.databaseUrl, dataDir: config.dataDir, schema: config.databaseSchema }, logger, config.databaseConnectTimeoutSeconds);
  const keys = createServiceKeys({ db: database.db, clock: systemClock, logger });
  try {
    if (command === 'list') {
      for (const key of await keys.list()) console.log(describe(key));
      return;
    }
    const name = values.name ?? '';
    if (command === 'revoke') {
      if (!(await keys.revoke(name))) throw new UsageError(`No live key named "${name}".`);
      console.error(`Revoked "${name}": it is refused from now on.`);
      return;
    }
    const scopes = (values.scopes ?? '').split(',').map((scope) => scope.trim()).filter(Boolean);
    const problem = describeKeyProblem(name, scopes);
    if (problem) throw new UsageError(`${problem}\n${USAGE}`);
    const days = values['expires-in-days'] === undefined ? undefined : Number(values['expires-in-days']);
    if (days !== undefined && !(Number.isInteger(days) && days > 0)) throw new UsageError('--expires-in-days is a whole number of days, at least 1.');
    const expiresAt = days === undefined ? null : new Date(systemClock.now().getTime() + days * 86_400_000);
    const created = await keys.create(name, scopes as ServiceKeyScope[], expiresAt).catch((error: unknown) => {
      if (isUniqueViolation(error, 'service_keys_live_name_idx')) throw new UsageError(`A live key named "${name}" exists: revoke it first, or choose another name.`);
      throw error;
    });
    // The key alone on stdout, for a script to capture; shown this once, stored only as its SHA-256.
    console.log(created.key);
    console.error(`Created ${describe(created.info)}. Keep the key now: it cannot be shown again.`);
  } finally {
    await database.close();
  }
}

function describe(key: ServiceKeyInfo): string {
  const state = key.revokedAt ? `revoked ${key.revokedAt.toISOString()}` : key.expiresAt ? `expires ${key.expiresAt.toISOString()}` : 'no expiry';
  return `"${key.name}" scopes ${key.scopes.join(',')}, created ${key.createdAt.toISOString()}, last used ${key.lastUsedAt?.toISOString() ?? 'never'}, ${state}`;
}

main().catch((error: unknown) => {
  console.error(error instanceof StartupError ? error.message : error);
  process.exit(1);
});
