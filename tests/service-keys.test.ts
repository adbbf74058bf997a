// Service keys: the credentials of an app's trusted backends, made with `npm run keys`, never a user.
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceKeys } from '../src/auth/service-keys.js';
import { queryRows } from './helpers/db.js';
import { gql, signUpUser } from './helpers/graphql.js';
import { migratedDataDir } from './helpers/process.js';
import { createScratchDatabase, startTestServer, testDriver, type TestServer } from './helpers/server.js';
import { connectSocket } from './helpers/ws.js';
import { serviceKeysOf } from './helpers/service-keys.js';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('npm run keys', () => {
  const database = { env: {} as Record<string, string>, drop: async () => {} };
  beforeAll(async () => {
    if (testDriver === 'postgres') {
      const scratch = await createScratchDatabase();
      Object.assign(database, { env: { DATABASE_URL: scratch.url }, drop: scratch.drop });
    } else {
      const dataDir = await migratedDataDir();
      Object.assign(database, { env: { DATA_DIR: dataDir }, drop: () => rm(dataDir, { recursive: true, force: true }) });
    }
  });
  afterAll(async () => { await database.drop(); });

  /** The CLI from its sources, as `npm run keys --` runs it built. */
  async function keys(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/scripts/keys.ts', ...args], {
        cwd: root,
        env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...database.env },
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  }

  it('creates a key shown once, lists it without it, revokes it, and refuses bad names and scopes', async () => {
    const created = await keys('create', '--name', 'billing', '--scopes', 'sessions:issue,sessions:admin', '--expires-in-days', '30');
    expect(created.code).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^sk_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toMatch(/Created "billing" scopes sessions:issue,sessions:admin, .*expires .*cannot be shown again/);

    const listed = await keys('list');
    expect(listed.stdout).toMatch(/^"billing" scopes sessions:issue,sessions:admin, created \S+, last used never, expires \S+$/m);
    expect(listed.stdout + listed.stderr).not.toContain(key.slice(3));

    expect(await keys('create', '--name', 'billing', '--scopes', 'sessions:read')).toMatchObject({ code: 1, stderr: expect.stringContaining('A live key named "billing" exists') });
    expect(await keys('create', '--name', 'ops', '--scopes', 'sessions:everything')).toMatchObject({ code: 1, stderr: expect.stringContaining('not sessions:everything') });
    expect(await keys('create', '--name', '', '--scopes', 'sessions:read')).toMatchObject({ code: 1, stderr: expect.stringContaining('A name is 1 to 64') });
    expect(await keys('frobnicate')).toMatchObject({ code: 1, stderr: expect.stringContaining('Usage:') });

    expect(await keys('revoke', '--name', 'billing')).toMatchObject({ code: 0 });
    expect((await keys('list')).stdout).toMatch(/^"billing" .* revoked \S+$/m);
    expect(await keys('revoke', '--name', 'billing')).toMatchObject({ code: 1, stderr: expect.stringContaining('No live key named "billing"') });
    // A revoked key's name may be given to a new one.
    expect((await keys('create', '--name', 'billing', '--scopes', 'sessions:read')).code).toBe(0);
  }, 120_000); // Ten runs of the CLI, each starting Node and opening the database.
});

describe('a service key on the API', () => {
  let server: TestServer;
  let serviceKeys: ServiceKeys;
  beforeAll(async () => {
    server = await startTestServer();
    serviceKeys = serviceKeysOf(server);
  });
  afterAll(async () => { await server.close(); });

  it('never acts as a user: FORBIDDEN (403) on me and on every field of a signed-in user, and nothing changes', async () => {
    const { key } = await serviceKeys.create('support', ['sessions:admin']);
    for (const query of ['{ me { id } }', '{ mySessions { id } }', 'mutation { revokeAllSessions }']) {
      const result = await gql(server, query, { token: key });
      expect(result.status, query).toBe(403);
      expect(result.code, query).toBe('FORBIDDEN');
    }
    // Fields open to anyone stay open to a backend.
    expect((await gql(server, '{ __typename }', { token: key })).data).toEqual({ __typename: 'Query' });
    const [used] = await queryRows<{ lastUsedAt: Date | null }>(server.database, sql`SELECT last_used_at AS "lastUsedAt" FROM service_keys WHERE name = 'support'`);
    expect(used!.lastUsedAt).not.toBeNull();
  });

  it('refuses an unknown, a revoked or an expired key with HTTP 401 for the whole request', async () => {
    const { key: revoked } = await serviceKeys.create('revoked', ['sessions:read']);
    await serviceKeys.revoke('revoked');
    const { key: expired } = await serviceKeys.create('expired', ['sessions:read'], new Date(server.clock.now().getTime() + 1_000));
    server.clock.advance(2);
    for (const [key, reason] of [[`sk_${'A'.repeat(43)}`, 'unknown'], [revoked, 'revoked'], [expired, 'expired']] as const) {
      const result = await gql(server, '{ __typename }', { token: key });
      expect(result.status, reason).toBe(401);
      expect(result.code, reason).toBe('UNAUTHENTICATED');
      expect(result.errors![0]!.message).toBe(`Service key ${reason}.`);
    }
    expect(server.logs()).not.toContain('unexpected error');
  });

  it('opens no WebSocket: 4401 unauthorized', async () => {
    const { key } = await serviceKeys.create('sockets', ['sessions:read']);
    const socket = connectSocket(server.url, key);
    expect(await socket.closed).toMatchObject({ code: 4401, reason: 'unauthorized' });
    await socket.dispose();
  });

  it('does not change how a user token is treated', async () => {
    const user = await signUpUser(server);
    expect((await gql(server, '{ me { id } }', { token: user.accessToken })).data).toEqual({ me: { id: user.user.id } });
  });
});
