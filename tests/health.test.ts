// /healthz answers while the process runs; /readyz only while the database and the listener are there.
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, testDriver, type TestServer } from './helpers/server.js';
import { waitFor } from './helpers/ws.js';

const endpoint = (server: TestServer, path: string) => server.url.replace(/\/graphql$/, path);
async function probe(server: TestServer, path: string) {
  const response = await fetch(endpoint(server, path));
  return { status: response.status, body: (await response.json()) as { status: string; reasons?: string[] } };
}

describe('health and readiness', () => {
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer(); });
  afterAll(async () => { await server.close(); });

  it('is healthy and ready once started', async () => {
    expect(await probe(server, '/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await probe(server, '/readyz')).toEqual({ status: 200, body: { status: 'ready' } });
  });
});

describe.runIf(testDriver === 'postgres')('readiness without the database', () => {
  let server: TestServer;
  let admin: postgres.Sql;
  let name: string;
  beforeAll(async () => {
    server = await startTestServer();
    admin = postgres(process.env.TEST_DATABASE_URL!, { max: 1, onnotice: () => {} });
    name = new URL(server.databaseUrl!).pathname.slice(1);
  });
  afterAll(async () => {
    await admin?.unsafe(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`).catch(() => {});
    await server?.close();
    await admin?.end();
  });

  it('turns 503 with the reasons while the database is gone, and 200 again when it is back, without a restart', async () => {
    await admin.unsafe(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
    await admin`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${name}`;
    await waitFor(async () => (await probe(server, '/readyz')).status === 503, 'readiness to drop');
    const down = await probe(server, '/readyz');
    expect(down.body.status).toBe('not ready');
    expect(down.body.reasons).toEqual(expect.arrayContaining(['database not reachable', 'revocation listener not connected']));
    expect((await probe(server, '/healthz')).status).toBe(200);

    await admin.unsafe(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
    await waitFor(async () => (await probe(server, '/readyz')).status === 200, 'readiness to return', 15_000);
  });
});
