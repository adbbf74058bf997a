// The server keeps every table in a Postgres schema of its own (DATABASE_SCHEMA), beside an app's.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashPassword } from '../src/auth/passwords.js';
import { migrationsFolder } from '../src/db/client.js';
import { gql, PASSWORD, signUpUser } from './helpers/graphql.js';
import { startMain } from './helpers/process.js';
import { createScratchDatabase, testDriver } from './helpers/server.js';

/** Raw SQL on the database a server process is started on, outside the server: the app's side. */
interface AppSide {
  env: Record<string, string>;
  run(query: string): Promise<Array<Record<string, unknown>>>;
  /** Runs Drizzle's migrator as every release before DATABASE_SCHEMA did: tables in public, journal in drizzle. */
  migrateAsPreviousRelease(): Promise<void>;
  close(): Promise<void>;
}

async function appSide(): Promise<AppSide> {
  if (testDriver === 'postgres') {
    const scratch = await createScratchDatabase();
    const client = postgres(scratch.url, { max: 1, onnotice: () => {} });
    return {
      env: { DATABASE_URL: scratch.url },
      run: async (query) => [...(await client.unsafe(query))] as Array<Record<string, unknown>>,
      migrateAsPreviousRelease: () => migratePostgres(drizzlePostgres(client), { migrationsFolder }),
      close: async () => { await client.end(); await scratch.drop(); },
    };
  }
  // PGlite: one process at a time, so the app's side opens the directory only while the server is down.
  const dataDir = await mkdtemp(join(tmpdir(), 'sessions-schema-'));
  const withPglite = async <T>(use: (client: PGlite) => Promise<T>): Promise<T> => {
    const client = new PGlite(dataDir);
    try {
      return await use(client);
    } finally {
      await client.close();
    }
  };
  return {
    env: { DATA_DIR: dataDir },
    run: (query) => withPglite(async (client) => (await client.exec(query)).at(-1)?.rows as Array<Record<string, unknown>>),
    migrateAsPreviousRelease: () => withPglite((client) => migratePglite(drizzlePglite(client), { migrationsFolder })),
    close: () => rm(dataDir, { recursive: true, force: true }),
  };
}

// Each makes a PGlite cluster on disk and starts the server on it: seconds of work, more beside the browser tests.
const CLUSTER_TEST_TIMEOUT_MS = 60_000;

describe('the server\'s own database schema', () => {
  let app: AppSide;
  beforeEach(async () => { app = await appSide(); });
  afterEach(async () => { await app.close(); });

  const start = () => startMain({ ...app.env, AUTH_SECRET: 'x'.repeat(32), GEOIP: 'off', LOG_LEVEL: 'info' });

  it("starts beside an app's own users table, keeps its tables in session_server, and leaves the app's alone", async () => {
    await app.run(`CREATE TABLE public.users (id int PRIMARY KEY, name text); INSERT INTO public.users VALUES (1, 'the app''s own')`);
    const server = await start();
    try {
      const user = await signUpUser(server);
      expect((await gql(server, '{ me { id } }', { token: user.accessToken })).data).toEqual({ me: { id: user.user.id } });
    } finally {
      expect(await server.stop()).toBe(0);
    }
    expect(await app.run('SELECT id, name FROM public.users')).toEqual([{ id: 1, name: "the app's own" }]);
    const ours = await app.run(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'session_server' ORDER BY table_name`);
    expect(ours.map((row) => row.table_name)).toEqual([
      '__drizzle_migrations', 'dpop_proofs', 'login_failures', 'outbox_events', 'rotated_refresh_tokens', 'security_events', 'service_keys', 'sessions', 'sign_up_attempts', 'users',
      'webhook_deliveries', 'webhook_endpoints',
    ]);
    expect(await app.run(`SELECT count(*)::int AS n FROM session_server.users`)).toEqual([{ n: 1 }]);
  }, CLUSTER_TEST_TIMEOUT_MS);

  it("moves a previous release's tables, data and journal out of public, and leaves an app's own journal rows", async () => {
    await app.migrateAsPreviousRelease();
    const passwordHash = await hashPassword(PASSWORD);
    await app.run(`
      INSERT INTO public.users (email, password_hash, created_at) VALUES ('before@example.com', '${passwordHash}', now());
      INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES ('the app''s own migration', 1);`);
    const server = await start();
    try {
      // The account made by the previous release signs in: its row, its password hash and the enum types moved.
      const login = await gql(server, `mutation { login(input: { email: "before@example.com", password: "${PASSWORD}" }) { accessToken } }`);
      expect(login.errors).toBeUndefined();
      expect((await fetch(new URL('/readyz', server.url))).status).toBe(200);
    } finally {
      expect(await server.stop()).toBe(0);
    }
    expect(await app.run(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'`)).toEqual([{ n: 0 }]);
    expect(await app.run(`SELECT email FROM session_server.users`)).toEqual([{ email: 'before@example.com' }]);
    expect(await app.run(`SELECT hash FROM drizzle.__drizzle_migrations`)).toEqual([{ hash: "the app's own migration" }]);
    const journal = await app.run(`SELECT count(*)::int AS n FROM session_server.__drizzle_migrations`);
    expect(journal).toEqual([{ n: readMigrationFiles({ migrationsFolder }).length }]);
  }, CLUSTER_TEST_TIMEOUT_MS);

  it('has migrations that name no schema, so that they run in DATABASE_SCHEMA', () => {
    // drizzle-kit writes "public". before types and referenced tables: remove it from a new migration.
    const qualified = readMigrationFiles({ migrationsFolder }).filter((migration) => migration.sql.some((statement) => statement.includes('"public".')));
    expect(qualified.map((migration) => migration.folderMillis)).toEqual([]);
  });
});
