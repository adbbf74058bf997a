import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import postgres from 'postgres';
import { inject } from 'vitest';
import type { Clock } from '../../src/clock.js';
import { loadConfig, type Config } from '../../src/config.js';
import { openDatabase, type Database } from '../../src/db/client.js';
import { openGeolocator, type Geolocator } from '../../src/devices/geolocation.js';
import { createLogger } from '../../src/logger.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { busEnv } from './bus.js';

/** A clock tests move by hand. It starts at the real time, so that another instance on the system clock agrees with it. */
export class TestClock implements Clock {
  private current = new Date();
  now(): Date {
    return new Date(this.current);
  }
  advance(seconds: number): void {
    this.current = new Date(this.current.getTime() + seconds * 1000);
  }
}

export interface TestServer {
  url: string;
  /** Every log line the server wrote, as JSON text. */
  logs(): string;
  database: Database;
  /** On Postgres, the URL of the database this server was given, for a second instance to share. */
  databaseUrl: string | undefined;
  clock: TestClock;
  /** Runs the expiry sweep or the cleanup now, and resolves once that run is done. */
  runJob: RunningServer['runJob'];
  /** Subscriptions running on the server's sockets, or on one session's. */
  subscriptionCount: RunningServer['subscriptionCount'];
  close(): Promise<void>;
}

export const testDriver = process.env.TEST_DRIVER === 'postgres' ? 'postgres' : 'pglite';

/**
 * Starts the real server on a free port over a database of its own: an in-memory PGlite cloned
 * from the migrated one the global setup made, or on Postgres a database created for this server
 * and dropped by `close()`.
 */
export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    AUTH_SECRET: randomBytes(32).toString('hex'),
    // Every test signs up from 127.0.0.1; tests of the sign-up throttle set their own limit.
    SIGN_UP_MAX_PER_IP: '100000',
    ...busEnv(),
    ...env,
  });
  const clock = new TestClock();
  const scratch = testDriver === 'postgres' ? await createScratchDatabase() : undefined;
  const database = await openDatabase({ url: scratch?.url, poolSize: 4, loadDataDir: scratch ? undefined : await pgliteTemplate() });
  let logs = '';
  const logger = createLogger(config, { write: (line: string) => { logs += line; } });
  const server = await startServer({ config, database, logger, authSecret: config.authSecret!, clock, geolocator: await geolocatorFor(config) });
  return {
    url: server.url,
    logs: () => logs,
    database,
    databaseUrl: scratch?.url,
    clock,
    runJob: (name) => server.runJob(name),
    subscriptionCount: (sessionId) => server.subscriptionCount(sessionId),
    async close() {
      await server.close();
      await database.close();
      await scratch?.drop();
    },
  };
}

let template: Promise<Blob> | undefined;

/** The migrated PGlite data directory, read once per test file. */
function pgliteTemplate(): Promise<Blob> {
  template ??= readFile(inject('pgliteTemplate')).then((bytes) => new Blob([bytes]));
  return template;
}

const geolocators = new Map<string, Promise<Geolocator>>();

/** One geolocation database per test worker and setting: opening it costs ~100 ms and ~135 MB. */
function geolocatorFor(config: Config): Promise<Geolocator> {
  const key = `${config.geoip}|${config.geoipDatabase ?? ''}`;
  let geolocator = geolocators.get(key);
  if (!geolocator) {
    geolocator = openGeolocator(config.geoip, config.geoipDatabase);
    geolocators.set(key, geolocator);
  }
  return geolocator;
}

export async function createScratchDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) throw new Error('TEST_DRIVER=postgres needs TEST_DATABASE_URL');
  const name = `sessions_test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}
