// Regression: signUp had no throttle, and 30 aliased sign-ups per request made 240 accounts in 5.6 s.
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { queryRows } from './helpers/db.js';
import { gql, PASSWORD, uniqueEmail } from './helpers/graphql.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const SIGN_UP = 'mutation($e: String!) { signUp(input: { email: $e, password: "correct horse battery staple" }) { user { id } } }';
const LIMITS = { SIGN_UP_MAX_PER_IP: '3', SIGN_UP_WINDOW_SECONDS: '3600' };

describe('the sign-up throttle', () => {
  let server: TestServer | undefined;
  afterEach(async () => { await server?.close(); server = undefined; });

  const signUp = (email: string, headers?: Record<string, string>) => gql(server!, SIGN_UP, { variables: { e: email }, headers });
  const accounts = async () => (await queryRows(server!.database, sql`SELECT 1 FROM users`)).length;

  it('counts every aliased signUp field, and refuses past the limit with retryAfterSeconds', async () => {
    server = await startTestServer(LIMITS);
    const aliases = Array.from({ length: 30 }, (_, i) => `a${i}: signUp(input: { email: "${uniqueEmail()}", password: "${PASSWORD}" }) { user { id } }`).join('\n');
    const result = await gql(server, `mutation { ${aliases} }`);
    expect(result.code).toBe('RATE_LIMITED');
    expect(result.errors![0]!.extensions!.retryAfterSeconds).toBeGreaterThan(3590);
    expect(await accounts()).toBe(3);
  });

  it('lets at most the limit through of 20 sent at once', async () => {
    server = await startTestServer(LIMITS);
    const results = await Promise.all(Array.from({ length: 20 }, () => signUp(uniqueEmail())));
    expect(results.filter((result) => result.data?.signUp).length).toBe(3);
    expect(results.filter((result) => result.code === 'RATE_LIMITED').length).toBe(17);
    expect(await accounts()).toBe(3);
  });

  it('counts a taken email too, opens again after the window, and leaves other addresses alone', async () => {
    server = await startTestServer({ ...LIMITS, TRUST_PROXY: '127.0.0.1' });
    const email = uniqueEmail();
    const from = { 'x-forwarded-for': '203.0.113.9' };
    expect((await signUp(email, from)).data?.signUp).toBeTruthy();
    expect((await signUp(email, from)).code).toBe('EMAIL_TAKEN');
    expect((await signUp(email, from)).code).toBe('EMAIL_TAKEN');
    expect((await signUp(uniqueEmail(), from)).code).toBe('RATE_LIMITED');
    expect((await signUp(uniqueEmail(), { 'x-forwarded-for': '198.51.100.4' })).data?.signUp).toBeTruthy();
    server.clock.advance(3601);
    expect((await signUp(uniqueEmail(), from)).data?.signUp).toBeTruthy();
  });
});
