// Failed password checks are counted per email and address and per address, across operations.
import { afterEach, describe, expect, it } from 'vitest';
import { queryRows } from './helpers/db.js';
import { gql, PASSWORD, signUpUser, uniqueEmail } from './helpers/graphql.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { sql } from 'drizzle-orm';

const LOGIN = 'mutation($e: String!, $p: String!) { login(input: { email: $e, password: $p }) { accessToken } }';
const LIMITS = { LOGIN_MAX_FAILURES_PER_EMAIL_IP: '3', LOGIN_MAX_FAILURES_PER_IP: '6', LOGIN_FAILURE_WINDOW_SECONDS: '900' };

describe('login throttling', () => {
  let server: TestServer | undefined;
  afterEach(async () => { await server?.close(); server = undefined; });

  const login = (email: string, password: string, headers?: Record<string, string>) => gql(server!, LOGIN, { variables: { e: email, p: password }, headers });

  it('refuses the right password past the per email and address limit, with retryAfterSeconds, and records LOGIN_THROTTLED', async () => {
    server = await startTestServer(LIMITS);
    const user = await signUpUser(server);
    for (let i = 0; i < 3; i++) expect((await login(user.user.email, 'wrong password')).code).toBe('INVALID_CREDENTIALS');
    const refused = await login(user.user.email, PASSWORD);
    expect(refused.code).toBe('RATE_LIMITED');
    expect(refused.errors![0]!.extensions!.retryAfterSeconds).toBeGreaterThan(890);
    expect(refused.errors![0]!.extensions!.retryAfterSeconds).toBeLessThanOrEqual(900);

    const types = await queryRows<{ type: string }>(server.database, sql`SELECT type FROM security_events WHERE user_id = ${user.user.id} ORDER BY seq`);
    expect(types.map((row) => row.type)).toEqual(['SIGNED_UP', 'LOGIN_FAILED', 'LOGIN_FAILED', 'LOGIN_FAILED', 'LOGIN_THROTTLED']);

    // Once the window has passed, the right password works again.
    server.clock.advance(901);
    expect((await login(user.user.email, PASSWORD)).data?.login?.accessToken).toBeTypeOf('string');
  });

  it('does not lock the victim out from another address, and a spoofed X-Forwarded-For changes nothing', async () => {
    server = await startTestServer({ ...LIMITS, TRUST_PROXY: '127.0.0.1' });
    const user = await signUpUser(server);
    const attacker = { 'x-forwarded-for': '203.0.113.66' };
    for (let i = 0; i < 3; i++) await login(user.user.email, 'wrong password', attacker);
    expect((await login(user.user.email, PASSWORD, attacker)).code).toBe('RATE_LIMITED');
    expect((await login(user.user.email, PASSWORD, { 'x-forwarded-for': '198.51.100.20' })).data?.login).toBeTruthy();
  });

  it('ignores X-Forwarded-For without TRUST_PROXY, so a client cannot reset its own counter', async () => {
    server = await startTestServer(LIMITS);
    const user = await signUpUser(server);
    for (let i = 0; i < 3; i++) await login(user.user.email, 'wrong password', { 'x-forwarded-for': `203.0.113.${i}` });
    expect((await login(user.user.email, PASSWORD, { 'x-forwarded-for': '198.51.100.99' })).code).toBe('RATE_LIMITED');
  });

  it('counts every address-wide failure, whatever the email, up to the per-address limit', async () => {
    server = await startTestServer(LIMITS);
    const user = await signUpUser(server);
    for (let i = 0; i < 6; i++) expect((await login(uniqueEmail(), 'wrong password')).code).toBe('INVALID_CREDENTIALS');
    expect((await login(user.user.email, PASSWORD)).code).toBe('RATE_LIMITED');
    // Failures for unknown emails are stored against nobody.
    expect(await queryRows(server.database, sql`SELECT 1 FROM security_events WHERE type = 'LOGIN_FAILED'`)).toEqual([]);
  });

  it('runs aliased login fields one at a time, so aliases add no attempts beyond the limit', async () => {
    server = await startTestServer(LIMITS);
    const user = await signUpUser(server);
    const aliases = Array.from({ length: 10 }, (_, i) => `a${i}: login(input: { email: $e, password: "wrong password" }) { accessToken }`).join('\n');
    const request = () => gql(server!, `mutation($e: String!) { ${aliases} }`, { variables: { e: user.user.email } });
    // Mutation fields run in order and login is non-null: the first failure ends the operation.
    for (let i = 0; i < 3; i++) expect((await request()).errors!.map((error) => error.extensions!.code)).toEqual(['INVALID_CREDENTIALS']);
    expect(await queryRows(server.database, sql`SELECT 1 FROM login_failures`)).toHaveLength(3);
    expect((await request()).code).toBe('RATE_LIMITED');
    expect((await login(user.user.email, PASSWORD)).code).toBe('RATE_LIMITED');
  });

  it('forgives an email and address its failures after a success', async () => {
    server = await startTestServer(LIMITS);
    const user = await signUpUser(server);
    for (let i = 0; i < 2; i++) await login(user.user.email, 'wrong password');
    expect((await login(user.user.email, PASSWORD)).data?.login).toBeTruthy();
    for (let i = 0; i < 2; i++) await login(user.user.email, 'wrong password');
    expect((await login(user.user.email, PASSWORD)).data?.login).toBeTruthy();
  });
});
