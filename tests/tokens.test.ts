import { createHmac, randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../src/auth/tokens.js';
import { queryRows } from './helpers/db.js';
import { AUTH_FIELDS, gql, loginUser, signUpUser, type AuthPayload } from './helpers/graphql.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const REFRESH = `mutation($token: String!) { refreshSession(refreshToken: $token) { ${AUTH_FIELDS} } }`;

function base64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
}

describe('access and refresh tokens', () => {
  let server: TestServer;
  let secret: string;
  beforeAll(async () => {
    secret = randomBytes(32).toString('hex');
    server = await startTestServer({ AUTH_SECRET: secret });
  });
  afterAll(async () => { await server.close(); });

  async function expectRejected(token: string): Promise<void> {
    const result = await gql(server, '{ me { id } }', { token });
    expect(result.status).toBe(401);
    expect(result.code).toBe('UNAUTHENTICATED');
    expect(result.data?.me ?? null).toBeNull();
  }

  it('rotates both tokens on refresh: the old pair dies, the new pair works, the session id stays', async () => {
    const first = await signUpUser(server);
    const refreshed = await gql<{ refreshSession: AuthPayload }>(server, REFRESH, { variables: { token: first.refreshToken } });
    const next = refreshed.data!.refreshSession;
    expect(next.session.id).toBe(first.session.id);
    expect(next.accessToken).not.toBe(first.accessToken);
    expect(next.refreshToken).not.toBe(first.refreshToken);

    await expectRejected(first.accessToken);
    // Presenting first.refreshToken again would now be reuse: see lifecycle.test.ts.
    const me = await gql(server, '{ me { id } }', { token: next.accessToken });
    expect(me.data).toEqual({ me: { id: first.user.id } });
    expect((await gql(server, REFRESH, { variables: { token: next.refreshToken } })).data?.refreshSession.session.id).toBe(first.session.id);
  });

  it('issues distinct tokens when a session is refreshed twice within one second', async () => {
    const first = await signUpUser(server);
    const second = (await gql<{ refreshSession: AuthPayload }>(server, REFRESH, { variables: { token: first.refreshToken } })).data!.refreshSession;
    const third = (await gql<{ refreshSession: AuthPayload }>(server, REFRESH, { variables: { token: second.refreshToken } })).data!.refreshSession;
    expect(third.accessToken).not.toBe(second.accessToken);
    await expectRejected(second.accessToken);
  });

  it('does not extend the session lifetime on refresh', async () => {
    const first = await signUpUser(server);
    server.clock.advance(3600);
    const next = (await gql<{ refreshSession: AuthPayload }>(server, REFRESH, { variables: { token: first.refreshToken } })).data!.refreshSession;
    expect(next.session.expiresAt).toBe(first.session.expiresAt);
  });

  it('refuses to refresh a revoked session', async () => {
    const first = await signUpUser(server);
    await gql(server, 'mutation { logout }', { token: first.accessToken });
    const result = await gql(server, REFRESH, { variables: { token: first.refreshToken } });
    expect(result.code).toBe('UNAUTHENTICATED');
    expect(result.status).toBe(401);
  });

  it('refreshes and logs in even with a dead token in the Authorization header', async () => {
    const first = await signUpUser(server);
    const headers = { authorization: 'Bearer not-a-token' };
    const refreshed = await gql(server, REFRESH, { variables: { token: first.refreshToken }, headers });
    expect(refreshed.status).toBe(200);
    expect(refreshed.data?.refreshSession.session.id).toBe(first.session.id);
    await expect(loginUser(server, first.user.email, {}, headers)).resolves.toMatchObject({ user: { id: first.user.id } });
  });

  it('rejects a JWT signed with another secret', async () => {
    const { accessToken } = await signUpUser(server);
    const claims = claimsOf(accessToken);
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(randomBytes(32));
    await expectRejected(forged);
  });

  it('rejects an alg:none JWT carrying a real session id', async () => {
    const { accessToken } = await signUpUser(server);
    await expectRejected(`${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claimsOf(accessToken))}.`);
  });

  it('rejects a JWT signed with the right secret but an algorithm off the allowlist', async () => {
    const { accessToken } = await signUpUser(server);
    const header = base64url({ alg: 'HS512', typ: 'JWT' });
    const body = base64url(claimsOf(accessToken));
    const signature = createHmac('sha512', secret).update(`${header}.${body}`).digest('base64url');
    await expectRejected(`${header}.${body}.${signature}`);
  });

  it('rejects an expired access token, then accepts the refreshed one', async () => {
    const first = await signUpUser(server);
    server.clock.advance(901);
    await expectRejected(first.accessToken);
    const next = (await gql<{ refreshSession: AuthPayload }>(server, REFRESH, { variables: { token: first.refreshToken } })).data!.refreshSession;
    expect((await gql(server, '{ me { id } }', { token: next.accessToken })).data).toEqual({ me: { id: first.user.id } });
  });

  it('rejects a token whose signature was verified before, once it expires', async () => {
    const first = await signUpUser(server);
    expect((await gql(server, '{ me { id } }', { token: first.accessToken })).status).toBe(200);
    server.clock.advance(901);
    await expectRejected(first.accessToken);
  });

  it('rejects a malformed token and a non-Bearer Authorization header', async () => {
    await expectRejected('abc.def.ghi');
    const basic = await gql(server, '{ me { id } }', { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expect(basic.status).toBe(401);
    expect(basic.code).toBe('UNAUTHENTICATED');
  });

  it('answers anonymous callers: me is null, session fields are UNAUTHENTICATED', async () => {
    expect((await gql(server, '{ me { id } }')).data).toEqual({ me: null });
    for (const operation of ['{ mySessions { id } }', 'mutation { logout }', 'mutation { revokeOtherSessions }', 'mutation { revokeAllSessions }', `mutation { revokeSession(id: "${crypto.randomUUID()}") }`]) {
      const result = await gql(server, operation);
      expect(result.status, operation).toBe(401);
      expect(result.code, operation).toBe('UNAUTHENTICATED');
    }
  });

  it('never reads a token from the URL', async () => {
    const { accessToken } = await signUpUser(server);
    const url = `${server.url}?access_token=${accessToken}&authorization=${encodeURIComponent(`Bearer ${accessToken}`)}`;
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ me { id } }' }) });
    expect(await response.json()).toEqual({ data: { me: null } });
  });

  it('stores only SHA-256 hashes of tokens, never a raw token', async () => {
    const first = await signUpUser(server);
    const second = await loginUser(server, first.user.email);
    const rows = await queryRows<{ row: string }>(server.database, sql`SELECT row_to_json(s)::text AS row FROM sessions s`);
    const dump = rows.map((r) => r.row).join('\n');
    for (const token of [first.accessToken, first.refreshToken, second.accessToken, second.refreshToken]) {
      expect(dump).not.toContain(token);
    }
    expect(dump).toContain(hashToken(first.refreshToken));
    expect(dump).toContain(hashToken(second.accessToken));
  });
});
