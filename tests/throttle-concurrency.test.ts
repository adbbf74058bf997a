// Regression: the login throttle read the failure count, ran argon2, then recorded the failure
// (check-then-act), so 20 wrong passwords sent at once were all checked, and a success among
// 60 operations on one WebSocket was checked and wiped the counter. The budget is now taken first.
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { ExecutionResult } from 'graphql';
import { afterEach, describe, expect, it } from 'vitest';
import { createLoginThrottle } from '../src/auth/login-throttle.js';
import { queryRows } from './helpers/db.js';
import { gql, PASSWORD, signUpUser, uniqueEmail, type GraphQLResponse } from './helpers/graphql.js';
import { scrape } from './helpers/metrics.js';
import { startMain, type MainProcess } from './helpers/process.js';
import { startTestServer, testDriver, type TestServer } from './helpers/server.js';
import { connectSocket, type SocketClient } from './helpers/ws.js';

const LOGIN = 'mutation($e: String!, $p: String!) { login(input: { email: $e, password: $p }) { accessToken } }';
const LIMITS = { LOGIN_MAX_FAILURES_PER_EMAIL_IP: '5', LOGIN_MAX_FAILURES_PER_IP: '100', LOGIN_FAILURE_WINDOW_SECONDS: '900' };

type Target = Pick<TestServer, 'url'>;

const login = (target: Target, email: string, password: string) => gql(target, LOGIN, { variables: { e: email, p: password } });

/** `login` outcomes a server counted, that is, how many passwords it checked (failure or success). */
async function passwordChecks(targets: Target[]): Promise<number> {
  let checked = 0;
  for (const target of targets) {
    const metrics = await scrape(target);
    checked += metrics.value('session_server_logins_total', { outcome: 'failure' }) + metrics.value('session_server_logins_total', { outcome: 'success' });
  }
  return checked;
}

const codesOf = (responses: GraphQLResponse[]) => responses.map((response) => response.code ?? 'OK');
const count = (codes: string[], code: string) => codes.filter((each) => each === code).length;

/** Runs one operation over the socket, all of them concurrently, as graphql-ws does. */
function runOver(socket: SocketClient, query: string, variables: Record<string, unknown>): Promise<ExecutionResult> {
  return new Promise((resolve, reject) => {
    let result: ExecutionResult | undefined;
    socket.client.subscribe({ query, variables }, {
      next: (value) => { result = value as ExecutionResult; },
      error: reject,
      complete: () => resolve(result!),
    });
  });
}

describe('the login throttle under concurrency', () => {
  let server: TestServer | undefined;
  afterEach(async () => { await server?.close(); server = undefined; });

  it('checks at most the per email and address limit of 50 attempts sent at once over HTTP', async () => {
    server = await startTestServer(LIMITS);
    const victim = await signUpUser(server);
    const codes = codesOf(await Promise.all(Array.from({ length: 50 }, () => login(server!, victim.user.email, 'wrong password'))));
    expect(count(codes, 'INVALID_CREDENTIALS')).toBe(5);
    expect(count(codes, 'RATE_LIMITED')).toBe(45);
    expect(await passwordChecks([server])).toBe(5);
  });

  it('checks at most the limit of 60 logins sent at once over one WebSocket, the right password among them', async () => {
    server = await startTestServer(LIMITS);
    const victim = await signUpUser(server);
    const attacker = await signUpUser(server);
    const socket = connectSocket(server.url, attacker.accessToken);
    await socket.acknowledged;
    const passwords = Array.from({ length: 60 }, (_, i) => (i === 30 ? PASSWORD : 'wrong password'));
    const results = await Promise.all(passwords.map((p) => runOver(socket, LOGIN, { e: victim.user.email, p })));
    await socket.dispose();
    const codes = results.map((result) => (result.errors?.[0]?.extensions?.code as string | undefined) ?? 'OK');
    expect(await passwordChecks([server])).toBeLessThanOrEqual(5);
    expect(count(codes, 'INVALID_CREDENTIALS') + count(codes, 'OK')).toBeLessThanOrEqual(5);
    expect(count(codes, 'RATE_LIMITED')).toBeGreaterThanOrEqual(55);
  });

  it('forgives, on a success, the failures counted before it and not those counted while it ran', async () => {
    server = await startTestServer(LIMITS);
    const throttle = createLoginThrottle({ db: server.database.db, clock: server.clock, limits: { perEmailAndIp: 5, perIp: 100, windowSeconds: 900 } });
    const attempt = { email: uniqueEmail(), ipAddress: '203.0.113.7' };
    const take = async () => {
      const budget = await throttle.takeAttempt(attempt);
      if (!budget.ok) throw new Error('refused');
      return budget.attempt;
    };
    await take();
    const success = await take();
    await Promise.all([take(), take()]);
    await throttle.forgive(success);
    expect(await queryRows(server.database, sql`SELECT 1 FROM login_failures`)).toHaveLength(2);
    // Two still count, so three more fit in the window and the next is refused.
    for (let i = 0; i < 3; i++) await take();
    expect(await throttle.takeAttempt(attempt)).toMatchObject({ ok: false });
  });

  it('records at most one LOGIN_THROTTLED per email and address in a window, however many attempts are refused', async () => {
    server = await startTestServer({ ...LIMITS, LOGIN_MAX_FAILURES_PER_EMAIL_IP: '2' });
    const victim = await signUpUser(server);
    for (let i = 0; i < 2; i++) await login(server, victim.user.email, 'wrong password');
    const refused = await Promise.all(Array.from({ length: 30 }, () => login(server!, victim.user.email, PASSWORD)));
    expect(count(codesOf(refused), 'RATE_LIMITED')).toBe(30);
    const throttled = sql`SELECT 1 FROM security_events WHERE user_id = ${victim.user.id} AND type = 'LOGIN_THROTTLED'`;
    expect(await queryRows(server.database, throttled)).toHaveLength(1);

    // A new window may record one more.
    server.clock.advance(901);
    for (let i = 0; i < 2; i++) await login(server, victim.user.email, 'wrong password');
    expect((await login(server, victim.user.email, PASSWORD)).code).toBe('RATE_LIMITED');
    expect(await queryRows(server.database, throttled)).toHaveLength(2);
  });
});

describe.runIf(testDriver === 'postgres')('the login throttle on two instances', () => {
  const authSecret = randomBytes(32).toString('hex');
  let first: TestServer;
  let second: MainProcess;
  const start = async (env: Record<string, string>) => {
    first = await startTestServer({ ...LIMITS, ...env, AUTH_SECRET: authSecret });
    second = await startMain({ ...LIMITS, ...env, DATABASE_URL: first.databaseUrl!, AUTH_SECRET: authSecret });
  };
  afterEach(async () => {
    await second?.stop();
    await first?.close();
  });

  it('checks at most the per email and address limit of 50 attempts over HTTP to both and 60 over a WebSocket, all at once', async () => {
    await start({});
    const victim = await signUpUser(first);
    const attacker = await signUpUser(first);
    const socket = connectSocket(second.url, attacker.accessToken);
    await socket.acknowledged;
    const targets: Target[] = [first, second];
    const [overHttp, overSocket] = await Promise.all([
      Promise.all(Array.from({ length: 50 }, (_, i) => login(targets[i % 2]!, victim.user.email, 'wrong password'))),
      Promise.all(Array.from({ length: 60 }, () => runOver(socket, LOGIN, { e: victim.user.email, p: 'wrong password' }))),
    ]);
    await socket.dispose();
    const socketCodes = overSocket.map((result) => (result.errors?.[0]?.extensions?.code as string | undefined) ?? 'OK');
    expect(count(codesOf(overHttp), 'INVALID_CREDENTIALS') + count(socketCodes, 'INVALID_CREDENTIALS')).toBe(5);
    expect(await passwordChecks(targets)).toBe(5);
  });

  it('checks at most what is left of the per-address limit in a burst of 20, whatever the emails', async () => {
    await start({ LOGIN_MAX_FAILURES_PER_IP: '10' });
    const targets: Target[] = [first, second];
    for (let i = 0; i < 8; i++) await login(targets[i % 2]!, uniqueEmail(), 'wrong password');
    const burst = await Promise.all(Array.from({ length: 20 }, (_, i) => login(targets[i % 2]!, uniqueEmail(), 'wrong password')));
    expect(count(codesOf(burst), 'INVALID_CREDENTIALS')).toBe(2);
    expect(count(codesOf(burst), 'RATE_LIMITED')).toBe(18);
    expect(await passwordChecks(targets)).toBe(10);
  });
});
