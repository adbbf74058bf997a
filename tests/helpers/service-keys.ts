import { createServiceKeys, type ServiceKeys, type ServiceKeyScope } from '../../src/auth/service-keys.js';
import { createLogger } from '../../src/logger.js';
import type { TestServer } from './server.js';

/** The server's service keys, made and revoked as `npm run keys` does, on its database. */
export function serviceKeysOf(server: Pick<TestServer, 'database' | 'clock'>): ServiceKeys {
  return createServiceKeys({ db: server.database.db, clock: server.clock, logger: createLogger({ logLevel: 'silent' }) });
}

/** A new key with these scopes, as a backend would send it. */
export async function newServiceKey(server: Pick<TestServer, 'database' | 'clock'>, name: string, scopes: ServiceKeyScope[]): Promise<string> {
  return (await serviceKeysOf(server).create(name, scopes)).key;
}
