import { randomBytes } from 'node:crypto';
import { rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { gql, signUpUser } from './helpers/graphql.js';
import { migratedDataDir, runMain, startMain } from './helpers/process.js';
import postgres from 'postgres';
import { createScratchDatabase, testDriver } from './helpers/server.js';

describe('configuration', () => {
  it('lists every invalid setting in one error', () => {
    const invalid = { PORT: 'abc', ACCESS_TOKEN_TTL_SECONDS: '-5', TRUST_PROXY: 'not-an-ip' };
    expect(() => loadConfig(invalid)).toThrow(ConfigError);
    expect(() => loadConfig(invalid)).toThrow(/PORT="abc".*ACCESS_TOKEN_TTL_SECONDS="-5".*TRUST_PROXY="not-an-ip"/);
  });

  it('refuses an AUTH_SECRET under 32 bytes without printing it', () => {
    expect(() => loadConfig({ AUTH_SECRET: 'short-secret' })).toThrow(/AUTH_SECRET=\(hidden\): must be at least 32 bytes/);
  });

  it('lists every invalid setting of the explorer, metrics, origins and limits', () => {
    const invalid = { GRAPHIQL: 'yes', METRICS_TOKEN: 'short', CORS_ORIGINS: 'https://app.example.com/path', GRAPHQL_MAX_DEPTH: '0', GRAPHQL_MAX_TOKENS: 'many' };
    expect(() => loadConfig(invalid)).toThrow(
      /GRAPHIQL="yes".*METRICS_TOKEN=\(hidden\): must be at least 16 bytes.*CORS_ORIGINS="https:\/\/app.example.com\/path": must be a comma-separated list of origins.*GRAPHQL_MAX_DEPTH="0".*GRAPHQL_MAX_TOKENS="many"/,
    );
  });

  it('turns the explorer and introspection off in production unless asked for', () => {
    const secret = { AUTH_SECRET: 'x'.repeat(32) };
    expect(loadConfig({ NODE_ENV: 'production', ...secret })).toMatchObject({ graphiql: false, introspection: false });
    expect(loadConfig({ NODE_ENV: 'production', GRAPHIQL: 'on', ...secret })).toMatchObject({ graphiql: true, introspection: true });
    expect(loadConfig({ INTROSPECTION: 'off' })).toMatchObject({ graphiql: true, introspection: false });
  });

  it('reads CORS_ORIGINS as a list of origins', () => {
    expect(loadConfig({ CORS_ORIGINS: 'https://App.example.com, http://localhost:3000/' }).corsOrigins).toEqual(['https://app.example.com', 'http://localhost:3000']);
    expect(loadConfig({}).corsOrigins).toEqual([]);
  });

  it('reads a hop count or a list of proxies from TRUST_PROXY', () => {
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.1, 192.168.0.0/16' }).trustProxy).toEqual(['10.0.0.1', '192.168.0.0/16']);
    expect(loadConfig({}).trustProxy).toBeUndefined();
  });
});

describe('start-up', () => {
  it('fails at once in production without AUTH_SECRET, with one line saying what to set', async () => {
    const run = runMain({ NODE_ENV: 'production' });
    expect(await run.exited).toBe(1);
    const lines = run.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/AUTH_SECRET must be set/);
  });
});

describe('start-up without a reachable Postgres', () => {
  it('logs each retry, never the password, then exits with one plain line', async () => {
    // Port 1: nothing listens there, so every attempt is refused at once.
    const run = runMain({ DATABASE_URL: 'postgres://app:hunter2-secret@127.0.0.1:1/app', DATABASE_CONNECT_TIMEOUT_SECONDS: '1', AUTH_SECRET: 'x'.repeat(32) });
    expect(await run.exited).toBe(1);
    const lines = run.output().trim().split('\n');
    const retries = lines.filter((line) => line.includes('database not reachable yet; retrying'));
    expect(retries.length).toBeGreaterThanOrEqual(2);
    expect(JSON.parse(retries[0]!)).toMatchObject({ database: '127.0.0.1:1/app', code: 'ECONNREFUSED' });
    expect(lines.at(-1)).toBe('Could not reach the database at 127.0.0.1:1/app within 1 s (ECONNREFUSED); is Postgres running?');
    expect(run.output()).not.toContain('hunter2');
  });
});

describe.skipIf(testDriver !== 'postgres')('start-up refused by Postgres', () => {
  const role = `sessions_no_create_${randomBytes(4).toString('hex')}`;
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  beforeAll(async () => {
    scratch = await createScratchDatabase();
    // A role that may connect but create nothing: the migrations' first statement is refused.
    await withAdmin(scratch.url, (sql) => sql.unsafe(`CREATE ROLE ${role} LOGIN; REVOKE CREATE ON SCHEMA public FROM PUBLIC; REVOKE CREATE ON DATABASE ${new URL(scratch.url).pathname.slice(1)} FROM PUBLIC`).simple());
  });
  afterAll(async () => {
    await scratch.drop();
    await withAdmin(process.env.TEST_DATABASE_URL!, (sql) => sql.unsafe(`DROP ROLE IF EXISTS ${role}`));
  });

  it("exits with one line holding Postgres's own cause and SQLSTATE, not only the failed statement", async () => {
    const url = new URL(scratch.url);
    url.username = role;
    const run = runMain({ DATABASE_URL: url.toString(), AUTH_SECRET: 'x'.repeat(32), GEOIP: 'off' });
    expect(await run.exited).toBe(1);
    const lines = run.errors().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Could not open the database at .+: permission denied for (schema|database) \S+ \(42501\), in: CREATE SCHEMA/);
  });
});

describe.skipIf(testDriver !== 'pglite')('npm start on PGlite', () => {
  let dataDir: string;
  beforeAll(async () => { dataDir = await migratedDataDir(); });
  afterAll(async () => { await rm(dataDir, { recursive: true, force: true }); });

  it('keeps accounts, sessions and the generated secret across a restart', async () => {
    const env = { DATA_DIR: dataDir, LOG_LEVEL: 'info' };
    const first = await startMain(env);
    const user = await signUpUser(first);
    expect(await first.stop()).toBe(0);
    expect((await stat(join(dataDir, 'auth-secret'))).mode & 0o077).toBe(0);

    const second = await startMain(env);
    try {
      const me = await gql(second, '{ me { id } mySessions { id } }', { token: user.accessToken });
      expect(me.data).toEqual({ me: { id: user.user.id }, mySessions: [{ id: user.session.id }] });
    } finally {
      await second.stop();
    }
    // Two starts, the first making a new cluster: most of a minute on a busy 2-core machine.
  }, 90_000);
});

describe.skipIf(testDriver !== 'pglite')('start-up on a taken port', () => {
  let dataDir: string;
  beforeAll(async () => { dataDir = await migratedDataDir(); });
  afterAll(async () => { await rm(dataDir, { recursive: true, force: true }); });

  it('on a port in use, exits with one line naming host and port, and no stack', async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as { port: number };
    try {
      const run = runMain({ PORT: String(port), AUTH_SECRET: 'x'.repeat(32), GEOIP: 'off', DATA_DIR: dataDir });
      expect(await run.exited).toBe(1);
      const lines = run.errors().trim().split('\n');
      expect(lines).toEqual([expect.stringContaining(`127.0.0.1:${port}`)]);
      expect(lines[0]).toMatch(/already in use/);
      expect(run.errors()).not.toMatch(/\bat /);
    } finally {
      taken.close();
    }
  });
});

async function withAdmin(url: string, use: (sql: postgres.Sql) => Promise<unknown>): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await use(sql);
  } finally {
    await sql.end();
  }
}
