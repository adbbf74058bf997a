import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from './helpers/db.js';
import { AUTH_FIELDS, gql, loginUser, PASSWORD, signUpUser } from './helpers/graphql.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { connectSocket } from './helpers/ws.js';

describe('logs', () => {
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer({ LOG_LEVEL: 'trace' }); });
  afterAll(async () => { await server.close(); });

  it('record sessions created and revoked, and never a token, password or hash', async () => {
    const first = await signUpUser(server);
    const second = await loginUser(server, first.user.email);
    await gql(server, `mutation { login(input: { email: "${first.user.email}", password: "wrong ${PASSWORD}" }) { accessToken } }`);
    const refreshed = await gql(server, `mutation($t: String!) { refreshSession(refreshToken: $t) { ${AUTH_FIELDS} } }`, { variables: { t: second.refreshToken } });
    await gql(server, 'mutation { revokeOtherSessions }', { token: refreshed.data!.refreshSession.accessToken });

    const logs = server.logs();
    const lines = logs.trim().split('\n').map((line) => JSON.parse(line) as { msg: string; sessionId?: string });
    expect(lines.filter((l) => l.msg === 'session created').map((l) => l.sessionId)).toEqual([first.session.id, second.session.id]);
    expect(lines.filter((l) => l.msg === 'session revoked').map((l) => l.sessionId)).toEqual([first.session.id]);
    expect(lines.some((l) => l.msg === 'login failed')).toBe(true);

    const [{ hash }] = await queryRows<{ hash: string }>(server.database, sql`SELECT password_hash AS hash FROM users`) as [{ hash: string }];
    const secrets = [PASSWORD, hash, first.accessToken, first.refreshToken, second.accessToken, second.refreshToken, refreshed.data!.refreshSession.refreshToken];
    for (const secret of secrets) expect(logs).not.toContain(secret);
  });
});

describe('unexpected errors', () => {
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer(); });
  afterAll(async () => { await server.close(); });

  it('reach the client as INTERNAL_SERVER_ERROR with a generic message, and the log with the detail', async () => {
    const user = await signUpUser(server);
    await server.database.db.execute(sql`ALTER TABLE users RENAME TO users_gone`);
    const result = await gql(server, `mutation { login(input: { email: "${user.user.email}", password: "${PASSWORD}" }) { accessToken } }`, {
      headers: { 'x-request-id': 'crash-request-3' },
    });
    await server.database.db.execute(sql`ALTER TABLE users_gone RENAME TO users`);

    expect(result.code).toBe('INTERNAL_SERVER_ERROR');
    expect(result.errors![0]!.message).toBe('Internal server error.');
    expect(JSON.stringify(result.errors)).not.toMatch(/users|stacktrace|relation/);
    const logged = server.logs().trim().split('\n').map((line) => JSON.parse(line) as { msg: string; requestId?: string });
    expect(logged.find((line) => line.msg === 'unexpected error')?.requestId).toBe('crash-request-3');
    expect(server.logs()).toMatch(/relation \\"users\\" does not exist/);
  });

  // Regression: over WebSocket, a crash in a resolver reached the client with its database detail, and no log.
  it('are masked and logged over WebSocket too', async () => {
    const { accessToken } = await signUpUser(server);
    const socket = connectSocket(server.url, accessToken);
    try {
      await socket.acknowledged;
      await server.database.db.execute(sql`ALTER TABLE security_events RENAME TO security_events_gone`);
      const results = [];
      try {
        for await (const result of socket.client.iterate({ query: '{ mySecurityEvents { edges { node { type } } } }' })) results.push(result);
      } finally {
        await server.database.db.execute(sql`ALTER TABLE security_events_gone RENAME TO security_events`);
      }
      expect(results).toEqual([{ data: null, errors: [{ message: 'Internal server error.', path: ['mySecurityEvents'], extensions: { code: 'INTERNAL_SERVER_ERROR' } }] }]);
      expect(server.logs()).toMatch(/relation \\"security_events\\" does not exist/);
    } finally {
      await socket.dispose();
    }
  });
});
