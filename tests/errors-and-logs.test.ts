import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from './helpers/db.js';
import { hashToken } from '../src/auth/tokens.js';
import { AUTH_FIELDS, gql, loginUser, PASSWORD, signUpUser, uniqueEmail } from './helpers/graphql.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { connectSocket } from './helpers/ws.js';

const SIGN_UP = `mutation($input: SignUpInput!) { signUp(input: $input) { ${AUTH_FIELDS} } }`;

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

  // Regression: when the per-request session lookup failed, Apollo answered 500 and nothing was logged.
  it('in the per-request session check are answered 500 and logged once, with the request id', async () => {
    const user = await signUpUser(server);
    await server.database.db.execute(sql`ALTER TABLE sessions RENAME TO sessions_gone`);
    const result = await gql(server, '{ me { id } }', { token: user.accessToken, headers: { 'x-request-id': 'context-crash-1' } });
    await server.database.db.execute(sql`ALTER TABLE sessions_gone RENAME TO sessions`);

    expect(result.status).toBe(500);
    expect(result.code).toBe('INTERNAL_SERVER_ERROR');
    expect(result.errors).toEqual([{ message: 'Internal server error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }]);
    const lines = server.logs().trim().split('\n').map((line) => JSON.parse(line) as { level: number; requestId?: string; err?: { cause?: { message: string } } });
    const mine = lines.filter((line) => line.requestId === 'context-crash-1');
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ level: 50, err: { cause: { message: 'relation "sessions" does not exist' } } });
  });

  it("in a WebSocket's connection_init check close it with 4500 and are logged once", async () => {
    const user = await signUpUser(server);
    const logged = server.logs().length;
    await server.database.db.execute(sql`ALTER TABLE sessions RENAME TO sessions_gone`);
    const socket = connectSocket(server.url, user.accessToken);
    const closed = await socket.closed;
    await server.database.db.execute(sql`ALTER TABLE sessions_gone RENAME TO sessions`);

    expect(closed.code).toBe(4500);
    const lines = server.logs().slice(logged).trim().split('\n').map((line) => JSON.parse(line) as { level: number; err?: unknown });
    expect(lines.filter((line) => line.level >= 50)).toEqual([
      expect.objectContaining({ err: expect.objectContaining({ cause: expect.objectContaining({ message: 'relation "sessions" does not exist' }) }) }),
    ]);
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

// Regression: a failed INSERT logged Drizzle's message, `params: <email>,$argon2id$…`, and the
// driver's `detail` ("Failing row contains (…)") carries the same values.
describe('database errors in logs', () => {
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer(); });
  afterAll(async () => { await server.close(); });

  /** Runs `work` while every new row of `table` breaks a CHECK constraint named refuse_all. */
  async function withRowsRefused<T>(table: 'users' | 'sessions', work: () => Promise<T>): Promise<T> {
    await server.database.db.execute(sql.raw(`ALTER TABLE ${table} ADD CONSTRAINT refuse_all CHECK (false) NOT VALID`));
    try {
      return await work();
    } finally {
      await server.database.db.execute(sql.raw(`ALTER TABLE ${table} DROP CONSTRAINT refuse_all`));
    }
  }

  /** The `err` of the one line logged for the request, as the log holds it. */
  function loggedError(requestId: string): Record<string, unknown> {
    const lines = server.logs().trim().split('\n').map((line) => JSON.parse(line) as { msg: string; requestId?: string; err?: Record<string, unknown> });
    const mine = lines.filter((line) => line.requestId === requestId && line.msg === 'unexpected error');
    expect(mine).toHaveLength(1);
    return mine[0]!.err!;
  }

  it('name the code, table and constraint of a failed INSERT, never its parameters or detail', async () => {
    const email = uniqueEmail();
    const result = await withRowsRefused('users', () =>
      gql(server, SIGN_UP, { variables: { input: { email, password: PASSWORD } }, headers: { 'x-request-id': 'refused-insert-1' } }));
    expect(result.code).toBe('INTERNAL_SERVER_ERROR');
    const err = loggedError('refused-insert-1');
    expect(err).toMatchObject({ type: 'DrizzleQueryError', query: expect.stringMatching(/^insert into "users"/) });
    expect(err.cause).toMatchObject({ code: '23514', constraint: 'refuse_all', table: 'users', message: expect.stringMatching(/violates check constraint/) });
    for (const secret of [email, PASSWORD, '$argon2', 'params', 'Failing row']) expect(server.logs()).not.toContain(secret);
  });

  it('never log a token hash that was a parameter of the failed query', async () => {
    const user = await signUpUser(server);
    const result = await withRowsRefused('sessions', () =>
      gql(server, 'mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }', {
        variables: { t: user.refreshToken },
        headers: { 'x-request-id': 'refused-update-1' },
      }));
    expect(result.code).toBe('INTERNAL_SERVER_ERROR');
    expect(loggedError('refused-update-1').cause).toMatchObject({ code: '23514', constraint: 'refuse_all', table: 'sessions' });
    for (const secret of [hashToken(user.refreshToken), user.user.email, 'params', 'Failing row']) expect(server.logs()).not.toContain(secret);
  });
});
