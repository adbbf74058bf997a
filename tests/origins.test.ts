import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { queryRows } from './helpers/db.js';
import { gql, PASSWORD, uniqueEmail } from './helpers/graphql.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { wsUrl } from './helpers/ws.js';

const APP = 'https://app.example.com';
const EVIL = 'https://evil.example.net';

/** Opens a raw WebSocket with the given Origin; resolves with the upgrade's outcome. */
function upgrade(server: TestServer, origin?: string): Promise<'open' | number> {
  const socket = new WebSocket(wsUrl(server.url), 'graphql-transport-ws', origin ? { origin } : {});
  return new Promise((resolve, reject) => {
    socket.once('open', () => {
      socket.close();
      resolve('open');
    });
    socket.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
    socket.once('error', reject);
  });
}

describe('allowed origins', () => {
  let server: TestServer;
  let closedByDefault: TestServer;

  beforeAll(async () => {
    [server, closedByDefault] = await Promise.all([startTestServer({ CORS_ORIGINS: `${APP}, https://admin.example.com` }), startTestServer()]);
  });
  afterAll(async () => {
    await Promise.all([server.close(), closedByDefault.close()]);
  });

  it('answers an allowed origin with CORS headers, preflight included', async () => {
    const preflight = await fetch(server.url, {
      method: 'OPTIONS',
      headers: { origin: APP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(APP);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    const result = await gql(server, '{ __typename }', { headers: { origin: APP } });
    expect(result.data).toEqual({ __typename: 'Query' });
  });

  it('refuses any other origin with 403 ORIGIN_NOT_ALLOWED, before the operation runs', async () => {
    const email = uniqueEmail();
    const result = await gql(server, 'mutation($input: SignUpInput!) { signUp(input: $input) { accessToken } }', {
      variables: { input: { email, password: PASSWORD } },
      headers: { origin: EVIL },
    });
    expect(result.status).toBe(403);
    expect(result.code).toBe('ORIGIN_NOT_ALLOWED');
    expect(await queryRows(server.database, sql`SELECT 1 FROM users WHERE email = ${email}`)).toEqual([]);
    const preflight = await fetch(server.url, { method: 'OPTIONS', headers: { origin: EVIL, 'access-control-request-method': 'POST' } });
    expect(preflight.status).toBe(403);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('allows requests without an Origin, and from the server its own origin', async () => {
    expect((await gql(server, '{ __typename }')).data).toEqual({ __typename: 'Query' });
    const own = new URL(server.url).origin;
    expect((await gql(closedByDefault, '{ __typename }', { headers: { origin: new URL(closedByDefault.url).origin } })).status).toBe(200);
    expect((await gql(server, '{ __typename }', { headers: { origin: own } })).status).toBe(200);
  });

  it('refuses every other origin when CORS_ORIGINS is not set', async () => {
    const result = await gql(closedByDefault, '{ __typename }', { headers: { origin: APP } });
    expect(result.status).toBe(403);
  });

  it('checks the WebSocket upgrade against the same list', async () => {
    expect(await upgrade(server, APP)).toBe('open');
    expect(await upgrade(server)).toBe('open');
    expect(await upgrade(server, new URL(server.url).origin)).toBe('open');
    expect(await upgrade(server, EVIL)).toBe(403);
    expect(await upgrade(closedByDefault, APP)).toBe(403);
  });
});
