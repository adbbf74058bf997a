// /healthz answers while the process runs; /readyz only while the database and the listener are there.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseOutage } from './helpers/db.js';
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
  let outage: ReturnType<typeof databaseOutage>;
  beforeAll(async () => {
    server = await startTestServer();
    outage = databaseOutage(server.databaseUrl!);
  });
  afterAll(async () => {
    await outage?.dispose();
    await server?.close();
  });

  it('turns 503 with the reasons while the database is gone, and 200 again when it is back, without a restart', async () => {
    await outage.begin();
    // The pool's failed query and the listener's closed connection are noticed apart, in either order.
    const reasons = ['database not reachable', 'session event listener not connected'];
    await waitFor(async () => {
      const { body } = await probe(server, '/readyz');
      return reasons.every((reason) => body.reasons?.includes(reason));
    }, 'readiness to drop, for both reasons');
    const down = await probe(server, '/readyz');
    expect(down.status).toBe(503);
    expect(down.body.status).toBe('not ready');
    expect(down.body.reasons).toEqual(expect.arrayContaining(reasons));
    expect((await probe(server, '/healthz')).status).toBe(200);

    await outage.end();
    await waitFor(async () => (await probe(server, '/readyz')).status === 200, 'readiness to return', 15_000);
  });
});
