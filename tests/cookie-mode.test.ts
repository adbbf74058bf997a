// Cookie mode: a browser keeps its refresh token where JavaScript cannot read it, in an HttpOnly
// `__Host-` cookie that refreshSession alone reads, and that no other site can make it send.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFRESH_COOKIE_NAME } from '../src/refresh-cookie.js';
import { queryRows } from './helpers/db.js';
import { AUTH_FIELDS, gql, issueSessionFor, PASSWORD, signUpUser, uniqueEmail } from './helpers/graphql.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { connectSocket, within } from './helpers/ws.js';
import { newServiceKey } from './helpers/service-keys.js';

const APP = 'https://app.example.com';
const EVIL = 'https://evil.example.net';
const LOGIN = `mutation($input: LoginInput!) { login(input: $input) { ${AUTH_FIELDS} } }`;
const REFRESH_FROM_COOKIE = `mutation { refreshSession { ${AUTH_FIELDS} } }`;

interface Answer {
  status: number;
  body: { data?: Record<string, any> | null; errors?: Array<{ message: string; extensions?: Record<string, any> }> };
  /** The Set-Cookie headers of the answer. */
  setCookies: string[];
}

/** A request with the given cookie value, as a browser of cookie mode sends it. */
async function send(server: TestServer, init: { method?: string; query?: string; cookie?: string; headers?: Record<string, string>; body?: string; search?: string }): Promise<Answer> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.cookie !== undefined) headers.cookie = `${REFRESH_COOKIE_NAME}=${init.cookie}`;
  const method = init.method ?? 'POST';
  if (method === 'POST' && init.body === undefined) headers['content-type'] ??= 'application/json';
  const response = await fetch(`${server.url}${init.search ?? ''}`, { method, headers, body: method === 'POST' ? (init.body ?? JSON.stringify({ query: init.query })) : undefined });
  return { status: response.status, body: (await response.json()) as Answer['body'], setCookies: response.headers.getSetCookie() };
}

/** The value the answer sets the refresh cookie to; '' when it clears it. */
function cookieSetBy(answer: Answer): string | undefined {
  const header = answer.setCookies.find((line) => line.startsWith(`${REFRESH_COOKIE_NAME}=`));
  return header?.slice(REFRESH_COOKIE_NAME.length + 1).split(';')[0];
}

async function loginWithCookie(server: TestServer, email: string, headers: Record<string, string> = {}): Promise<{ answer: Answer; cookie: string }> {
  const answer = await send(server, { body: JSON.stringify({ query: LOGIN, variables: { input: { email, password: PASSWORD, refreshTokenInCookie: true } } }), headers: { 'content-type': 'application/json', ...headers } });
  const cookie = cookieSetBy(answer);
  if (!cookie) throw new Error(`no cookie set: ${JSON.stringify(answer.body)}`);
  return { answer, cookie };
}

describe('cookie mode', () => {
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer({ CORS_ORIGINS: APP }); });
  afterAll(async () => { await server.close(); });

  it('sets the refresh token as a __Host- cookie, HttpOnly, Secure, SameSite=Strict, for the rest of the session, and not in the payload', async () => {
    const user = await signUpUser(server);
    const { answer } = await loginWithCookie(server, user.user.email);
    expect(answer.body.data!.login.refreshToken).toBeNull();
    expect(answer.body.data!.login.accessToken).toBeTypeOf('string');
    const header = answer.setCookies.find((line) => line.startsWith(REFRESH_COOKIE_NAME))!;
    const attributes = header.split('; ').slice(1);
    expect(attributes).toEqual(expect.arrayContaining(['Path=/', 'HttpOnly', 'Secure', 'SameSite=Strict']));
    expect(attributes.some((attribute) => attribute.startsWith('Domain'))).toBe(false);
    const maxAge = Number(attributes.find((attribute) => attribute.startsWith('Max-Age='))!.split('=')[1]);
    const remaining = (Date.parse(answer.body.data!.login.session.expiresAt) - server.clock.now().getTime()) / 1000;
    expect(Math.abs(maxAge - remaining)).toBeLessThanOrEqual(2);
  });

  it('refreshes from the cookie alone, rotating the cookie; the previous cookie is then a reuse that ends the session', async () => {
    const user = await signUpUser(server);
    const { cookie } = await loginWithCookie(server, user.user.email);
    const refreshed = await send(server, { query: REFRESH_FROM_COOKIE, cookie });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.data!.refreshSession.refreshToken).toBeNull();
    const next = cookieSetBy(refreshed);
    expect(next).toBeTruthy();
    expect(next).not.toBe(cookie);
    expect((await gql(server, '{ me { id } }', { token: refreshed.body.data!.refreshSession.accessToken })).data).toEqual({ me: { id: user.user.id } });

    const replayed = await send(server, { query: REFRESH_FROM_COOKIE, cookie });
    expect(replayed.status).toBe(401);
    expect(replayed.body.errors![0]!.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'REFRESH_TOKEN_REUSE' });
    expect(cookieSetBy(replayed)).toBe('');
    expect((await send(server, { query: REFRESH_FROM_COOKIE, cookie: next })).body.errors![0]!.extensions).toMatchObject({ reason: 'REFRESH_TOKEN_REUSE' });
  });

  it('answers a refresh without a token or cookie with UNAUTHENTICATED, and an explicit token never touches the cookie', async () => {
    const none = await send(server, { query: REFRESH_FROM_COOKIE });
    expect(none.status).toBe(401);
    expect(none.body.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
    expect(none.body.errors![0]!.extensions!.reason).toBeUndefined();

    const user = await signUpUser(server);
    const { cookie } = await loginWithCookie(server, user.user.email);
    const explicit = await send(server, { query: `mutation { refreshSession(refreshToken: "${user.refreshToken}") { refreshToken } }`, cookie });
    expect(explicit.body.data!.refreshSession.refreshToken).toBeTypeOf('string');
    expect(explicit.setCookies).toEqual([]);
    expect((await send(server, { query: REFRESH_FROM_COOKIE, cookie })).status).toBe(200);
  });

  it('takes over a session an app\'s backend got from issueSession: the successor of the given token goes in the cookie', async () => {
    const issued = await issueSessionFor(server, await newServiceKey(server, 'cookie-backend', ['sessions:issue']), { externalId: 'auth0|cookie' });
    const adopt = (refreshToken: string, cookie?: string) =>
      send(server, { query: `mutation { refreshSession(refreshToken: "${refreshToken}", refreshTokenInCookie: true) { refreshToken session { id } } }`, cookie });

    // A wrong token leaves a cookie that is there alone.
    const { cookie: other } = await loginWithCookie(server, (await signUpUser(server)).user.email);
    const wrong = await adopt('not-a-token', other);
    expect(wrong.body.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
    expect(wrong.setCookies).toEqual([]);

    const adopted = await adopt(issued.refreshToken);
    expect(adopted.body.data!.refreshSession).toEqual({ refreshToken: null, session: { id: issued.session.id } });
    const cookie = cookieSetBy(adopted)!;
    expect(cookie).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The cookie carries the session on; the token that passed through the backend is spent, and a replay of it is taken as theft.
    expect((await send(server, { query: REFRESH_FROM_COOKIE, cookie })).body.data!.refreshSession.session.id).toBe(issued.session.id);
    expect((await adopt(issued.refreshToken)).body.errors![0]!.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'REFRESH_TOKEN_REUSE' });
  });

  it.each([
    ['logout', 'mutation { logout }', 'LOGOUT'],
    ['revokeSession of the current session', 'mutation($id: ID!) { revokeSession(id: $id) }', 'REVOKED'],
    ['revokeAllSessions', 'mutation { revokeAllSessions }', 'REVOKED'],
  ])('clears the cookie on %s, and the cookie says why it no longer works', async (_name, mutation, reason) => {
    const user = await signUpUser(server);
    const { answer, cookie } = await loginWithCookie(server, user.user.email);
    const { accessToken, session } = answer.body.data!.login;
    const ended = await send(server, { body: JSON.stringify({ query: mutation, variables: { id: session.id } }), cookie, headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' } });
    expect(ended.body.errors).toBeUndefined();
    expect(cookieSetBy(ended)).toBe('');
    expect(ended.setCookies[0]).toMatch(/Max-Age=0/);
    const refused = await send(server, { query: REFRESH_FROM_COOKIE, cookie });
    expect(refused.body.errors![0]!.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason });
  });

  it('refuses cookie mode over a WebSocket, where no cookie can be set, and creates no session', async () => {
    const user = await signUpUser(server);
    const socket = connectSocket(server.url, user.accessToken);
    await socket.acknowledged;
    const query = `mutation { login(input: { email: "${user.user.email}", password: "${PASSWORD}", refreshTokenInCookie: true }) { accessToken } }`;
    const results = socket.client.iterate({ query });
    const { value } = await within(results.next(), 3_000, 'login over the socket');
    expect(value).toMatchObject({ data: null, errors: [{ extensions: { code: 'BAD_USER_INPUT', field: 'input.refreshTokenInCookie', fields: ['input.refreshTokenInCookie'] } }] });
    const sessions = await queryRows(server.database, sql`SELECT id FROM sessions WHERE user_id = ${user.user.id}`);
    expect(sessions).toHaveLength(1);
    const adopt = socket.client.iterate({ query: `mutation { refreshSession(refreshToken: "${user.refreshToken}", refreshTokenInCookie: true) { accessToken } }` });
    expect((await within(adopt.next(), 3_000, 'refreshSession over the socket')).value).toMatchObject({ errors: [{ extensions: { code: 'BAD_USER_INPUT', field: 'refreshTokenInCookie' } }] });
    // Refused before the token was spent: it still works.
    expect((await gql(server, `mutation { refreshSession(refreshToken: "${user.refreshToken}") { accessToken } }`)).errors).toBeUndefined();
    await socket.dispose();
  });

  describe('against cross-site requests', () => {
    it('lets no cross-site form, text/plain POST or GET use the cookie; the cookie still works afterwards', async () => {
      const user = await signUpUser(server);
      const { cookie } = await loginWithCookie(server, user.user.email);
      const form = `query=${encodeURIComponent(REFRESH_FROM_COOKIE)}`;
      const attempts = [
        // A form on another site, posted by the victim's browser.
        await send(server, { body: form, cookie, headers: { origin: EVIL, 'content-type': 'application/x-www-form-urlencoded' } }),
        // The same without an Origin header, and as text/plain, the other body a form can send.
        await send(server, { body: JSON.stringify({ query: REFRESH_FROM_COOKIE }), cookie, headers: { 'content-type': 'text/plain' } }),
        // A link or an <img>: a GET, which can carry the cookie but no header of the page's choosing.
        await send(server, { method: 'GET', search: `?query=${encodeURIComponent(REFRESH_FROM_COOKIE)}`, cookie }),
        await send(server, { method: 'GET', search: `?query=${encodeURIComponent(REFRESH_FROM_COOKIE)}`, cookie, headers: { origin: EVIL } }),
      ];
      expect(attempts.map((attempt) => attempt.status)).toEqual([403, 415, 400, 403]);
      for (const attempt of attempts) expect(attempt.setCookies).toEqual([]);
      expect(await queryRows(server.database, sql`SELECT 1 FROM rotated_refresh_tokens r JOIN sessions s ON s.id = r.session_id WHERE s.user_id = ${user.user.id}`)).toEqual([]);
      expect((await send(server, { query: REFRESH_FROM_COOKIE, cookie })).status).toBe(200);
    });

    it('gives a GET query that carries Authorization (urql\'s default) its answer, and one that carries only the cookie nobody', async () => {
      const user = await signUpUser(server);
      const { cookie } = await loginWithCookie(server, user.user.email);
      const query = `?query=${encodeURIComponent('{ me { id } }')}`;
      const withToken = await send(server, { method: 'GET', search: query, headers: { authorization: `Bearer ${user.accessToken}` } });
      expect(withToken.body.data).toEqual({ me: { id: user.user.id } });
      const withCookie = await send(server, { method: 'GET', search: query, cookie, headers: { 'apollo-require-preflight': 'true' } });
      expect(withCookie.body.data).toEqual({ me: null });
    });

    it('lets an allowed origin sign in with credentials and X-Device-Id', async () => {
      const preflight = await fetch(server.url, {
        method: 'OPTIONS',
        headers: { origin: APP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-device-id' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-headers')).toMatch(/X-Device-Id/);
      expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');

      const email = uniqueEmail();
      await signUpUser(server, { email });
      const { answer } = await loginWithCookie(server, email, { origin: APP, 'x-device-id': 'device-from-header' });
      expect(answer.body.data!.login.session.deviceId).toBe('device-from-header');
    });
  });
});

describe('a refresh of an ended session', () => {
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer({ SESSION_MAX_AGE_SECONDS: '600' }); });
  afterAll(async () => { await server.close(); });

  it('says how it ended: revoked by another device, or run out', async () => {
    const laptop = await signUpUser(server);
    const { cookie } = await loginWithCookie(server, laptop.user.email);
    const phone = (await gql(server, LOGIN, { variables: { input: { email: laptop.user.email, password: PASSWORD } } })).data!.login;
    await gql(server, 'mutation { revokeOtherSessions }', { token: phone.accessToken });
    expect((await send(server, { query: REFRESH_FROM_COOKIE, cookie })).body.errors![0]!.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'REVOKED' });

    server.clock.advance(601);
    const expired = await gql(server, 'mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }', { variables: { t: phone.refreshToken } });
    expect(expired.errors![0]!.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'EXPIRED' });
    expect(expired.status).toBe(401);
  });
});
