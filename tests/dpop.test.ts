// Device-bound sessions (DPoP, RFC 9449): a copied token is refused on every path without the
// device's key, and every way a proof can be wrong is refused with invalid_dpop_proof.
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeviceKey, dpopHeaders, type DeviceKey } from './helpers/dpop.js';
import { AUTH_FIELDS, gql, PASSWORD, uniqueEmail } from './helpers/graphql.js';
import { startMain, type MainProcess } from './helpers/process.js';
import { startTestServer, testDriver, type TestServer } from './helpers/server.js';
import { connectSocket, wsUrl, within } from './helpers/ws.js';

const SIGN_UP = `mutation($input: SignUpInput!) { signUp(input: $input) { ${AUTH_FIELDS} tokenType session { isDeviceBound } } }`;
const REFRESH = `mutation($token: String!) { refreshSession(refreshToken: $token) { accessToken refreshToken tokenType session { isDeviceBound } } }`;
const ME = '{ me { id } }';

interface Bound {
  accessToken: string;
  refreshToken: string;
  userId: string;
  sessionId: string;
}

/** Signs up with a proof of `key`: the session is bound to it. */
async function signUpBound(server: Pick<TestServer, 'url'>, key: DeviceKey): Promise<Bound> {
  const result = await gql<{ signUp: { accessToken: string; refreshToken: string; tokenType: string; user: { id: string }; session: { id: string; isDeviceBound: boolean } } }>(server, SIGN_UP, {
    variables: { input: { email: uniqueEmail(), password: PASSWORD } },
    headers: { dpop: await key.proof({ url: server.url }) },
  });
  expect(result.errors).toBeUndefined();
  const { signUp } = result.data!;
  expect(signUp.tokenType).toBe('DPoP');
  expect(signUp.session.isDeviceBound).toBe(true);
  return { accessToken: signUp.accessToken, refreshToken: signUp.refreshToken, userId: signUp.user.id, sessionId: signUp.session.id };
}

/** Posts `query` with these headers, answering the status, the challenge and the error. */
async function post(server: Pick<TestServer, 'url'>, query: string, headers: Record<string, string>, variables?: Record<string, unknown>) {
  const response = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
  const body = (await response.json()) as { data?: Record<string, any> | null; errors?: Array<{ message: string; extensions?: Record<string, any> }> };
  return { status: response.status, challenge: response.headers.get('www-authenticate'), data: body.data, error: body.errors?.[0] };
}

function expectRefused(answer: Awaited<ReturnType<typeof post>>, because: RegExp): void {
  expect(answer.status).toBe(401);
  expect(answer.error?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'INVALID_DPOP_PROOF' });
  expect(answer.error?.message).toMatch(because);
  expect(answer.challenge).toMatch(/^DPoP algs="[^"]+", error="invalid_dpop_proof", error_description="/);
}

describe('device-bound sessions (DPoP)', () => {
  let server: TestServer;
  let key: DeviceKey;
  beforeAll(async () => {
    server = await startTestServer();
    key = await createDeviceKey();
  });
  afterAll(async () => { await server.close(); });

  it('binds a sign-in that sends a proof, and serves the key holder over HTTP', async () => {
    const bound = await signUpBound(server, key);
    const answer = await post(server, ME, await dpopHeaders(key, server.url, bound.accessToken));
    expect(answer.data).toEqual({ me: { id: bound.userId } });
    const sessions = await post(server, '{ mySessions { id isDeviceBound } }', await dpopHeaders(key, server.url, bound.accessToken));
    expect(sessions.data?.mySessions).toEqual([{ id: bound.sessionId, isDeviceBound: true }]);
  });

  it('refuses a copied access token without the key: as Bearer, as DPoP without a proof, with a proof of another key', async () => {
    const bound = await signUpBound(server, key);
    const thief = await createDeviceKey();
    expectRefused(await post(server, ME, { authorization: `Bearer ${bound.accessToken}` }), /accepted only as Authorization: DPoP/);
    expectRefused(await post(server, ME, { authorization: `DPoP ${bound.accessToken}` }), /no DPoP proof/);
    expectRefused(await post(server, ME, await dpopHeaders(thief, server.url, bound.accessToken)), /another key/);
    // The device itself goes on.
    expect((await post(server, ME, await dpopHeaders(key, server.url, bound.accessToken))).data).toEqual({ me: { id: bound.userId } });
  });

  it('refuses every wrong proof with invalid_dpop_proof', async () => {
    const bound = await signUpBound(server, key);
    const other = await signUpBound(server, key);
    const now = Math.floor(Date.now() / 1000);
    const url = server.url;
    const accessToken = bound.accessToken;
    const hs256 = await new SignJWT({ htm: 'POST', htu: url, jti: 'x', iat: now }).setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt' }).sign(randomBytes(32));
    const cases: Array<[string, Promise<string>, RegExp]> = [
      ['wrong htu', key.proof({ url: `${url}/other`, accessToken }), /htu/],
      ['wrong htm', key.proof({ method: 'GET', url, accessToken }), /htm/],
      ['iat too old', key.proof({ url, accessToken, iat: now - 120 }), /iat/],
      ['iat too far ahead', key.proof({ url, accessToken, iat: now + 120 }), /iat/],
      ["ath of another token", key.proof({ url, accessToken: other.accessToken }), /ath/],
      ['no typ', key.proof({ url, accessToken, typ: 'JWT' }), /typ/],
      ['HS256', Promise.resolve(hs256), /alg HS256/],
      ['a private key in its jwk', key.proof({ url, accessToken, headerJwk: key.privateJwk }), /private key/],
      ['signed by another key than its jwk', (async () => (await createDeviceKey()).proof({ url, accessToken, headerJwk: key.jwk }))(), /signature/],
      ['not a JWT', Promise.resolve('not-a-proof'), /malformed/],
    ];
    for (const [, proof, because] of cases) {
      expectRefused(await post(server, ME, { authorization: `DPoP ${accessToken}`, dpop: await proof }), because);
    }
  });

  it('accepts a clock skew within the window, and a proof (same jti) once, however many copies come at once', async () => {
    const bound = await signUpBound(server, key);
    const skewed = await key.proof({ url: server.url, accessToken: bound.accessToken, iat: Math.floor(Date.now() / 1000) - 45 });
    const headers = { authorization: `DPoP ${bound.accessToken}`, dpop: skewed };
    const answers = await Promise.all(Array.from({ length: 20 }, () => post(server, ME, headers)));
    const accepted = answers.filter((answer) => answer.data?.me);
    expect(accepted.map((answer) => answer.data)).toEqual([{ me: { id: bound.userId } }]);
    for (const answer of answers.filter((other) => !other.data?.me)) expectRefused(answer, /used before/);
  });

  it('refreshes a bound session only with a proof of its key; without one, refuses, records it, and leaves the session to its device', async () => {
    const bound = await signUpBound(server, key);
    expectRefused(await post(server, REFRESH, {}, { token: bound.refreshToken }), /refresh needs a DPoP proof/);
    expectRefused(await post(server, REFRESH, { dpop: await (await createDeviceKey()).proof({ url: server.url }) }, { token: bound.refreshToken }), /refresh needs a DPoP proof/);
    const events = await post(server, '{ mySecurityEvents(first: 5) { edges { node { type sessionId } } } }', await dpopHeaders(key, server.url, bound.accessToken));
    expect(events.data?.mySecurityEvents.edges.map((edge: { node: { type: string } }) => edge.node.type)).toContain('BOUND_TOKEN_WITHOUT_PROOF');

    const refreshed = await post(server, REFRESH, { dpop: await key.proof({ url: server.url }) }, { token: bound.refreshToken });
    expect(refreshed.data?.refreshSession).toMatchObject({ tokenType: 'DPoP', session: { isDeviceBound: true } });
    const next = refreshed.data!.refreshSession.accessToken as string;
    expect((await post(server, ME, await dpopHeaders(key, server.url, next))).data).toEqual({ me: { id: bound.userId } });
    expectRefused(await post(server, ME, { authorization: `Bearer ${next}` }), /accepted only as Authorization: DPoP/);

    // The refresh token rotated away, copied and replayed without the key, ends nothing: reuse
    // detection is for a replay that proves the key, which only the device can make.
    expectRefused(await post(server, REFRESH, {}, { token: bound.refreshToken }), /refresh needs a DPoP proof/);
    expect((await post(server, ME, await dpopHeaders(key, server.url, next))).data).toEqual({ me: { id: bound.userId } });
    const reused = await post(server, REFRESH, { dpop: await key.proof({ url: server.url }) }, { token: bound.refreshToken });
    expect(reused.error?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'REFRESH_TOKEN_REUSE' });
  });

  it('binds a socket as a request: connection_init needs a proof of the key for the socket\'s URL', async () => {
    const bound = await signUpBound(server, key);
    const socketUrl = wsUrl(server.url);
    const proven = connectSocket(server.url, undefined, { authorization: `DPoP ${bound.accessToken}`, dpop: await key.proof({ method: 'GET', url: socketUrl, accessToken: bound.accessToken }) });
    await proven.acknowledged;
    const copied = connectSocket(server.url, undefined, { authorization: `DPoP ${bound.accessToken}` });
    expect((await within(copied.closed, 3_000, 'refusal')).code).toBe(4401);
    const asBearer = connectSocket(server.url, bound.accessToken);
    expect((await within(asBearer.closed, 3_000, 'refusal')).code).toBe(4401);
    const posted = connectSocket(server.url, undefined, { authorization: `DPoP ${bound.accessToken}`, dpop: await key.proof({ method: 'POST', url: socketUrl, accessToken: bound.accessToken }) });
    expect((await within(posted.closed, 3_000, 'refusal')).code).toBe(4401);
    expect(proven.isAcknowledged()).toBe(true);
  });

  it('keeps bearer sessions as they were: no proof, a Bearer token; the DPoP scheme is refused for them', async () => {
    const result = await gql<{ signUp: { accessToken: string; tokenType: string; session: { isDeviceBound: boolean } } }>(server, SIGN_UP, { variables: { input: { email: uniqueEmail(), password: PASSWORD } } });
    expect(result.data?.signUp).toMatchObject({ tokenType: 'Bearer', session: { isDeviceBound: false } });
    const token = result.data!.signUp.accessToken;
    expect((await post(server, ME, { authorization: `Bearer ${token}` })).data?.me).toBeTruthy();
    expectRefused(await post(server, ME, await dpopHeaders(key, server.url, token)), /not DPoP-bound/);
  });

  it('refuses a sign-in whose proof is bad, and writes nothing', async () => {
    const email = uniqueEmail();
    const answer = await post(server, SIGN_UP, { dpop: await key.proof({ url: `${server.url}/elsewhere` }) }, { input: { email, password: PASSWORD } });
    expectRefused(answer, /htu/);
    const login = await gql(server, `mutation($input: LoginInput!) { login(input: $input) { accessToken } }`, { variables: { input: { email, password: PASSWORD } } });
    expect(login.code).toBe('INVALID_CREDENTIALS');
  });
});

describe('DPOP=required', () => {
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer({ DPOP: 'required' }); });
  afterAll(async () => { await server.close(); });

  it('refuses a sign-in without a proof, and binds one with', async () => {
    expectRefused(await post(server, SIGN_UP, {}, { input: { email: uniqueEmail(), password: PASSWORD } }), /DPOP=required/);
    await signUpBound(server, await createDeviceKey('EdDSA'));
  });
});

describe.runIf(testDriver === 'postgres')('a replayed proof on another instance behind one address', () => {
  const authSecret = randomBytes(32).toString('hex');
  // Both behind one proxy (the loopback peer, trusted with TRUST_PROXY=1), at one public address.
  const publicUrl = 'https://sessions.example.com/graphql';
  const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'sessions.example.com' };
  let first: TestServer;
  let second: MainProcess;
  beforeAll(async () => {
    first = await startTestServer({ AUTH_SECRET: authSecret, TRUST_PROXY: '1' });
    second = await startMain({ DATABASE_URL: first.databaseUrl!, AUTH_SECRET: authSecret, TRUST_PROXY: '1' });
  });
  afterAll(async () => {
    await second?.stop();
    await first?.close();
  });

  it('is refused there too: seen proofs are shared through the database', async () => {
    const key = await createDeviceKey();
    const signUp = await post(first, SIGN_UP, { ...forwarded, dpop: await key.proof({ url: publicUrl }) }, { input: { email: uniqueEmail(), password: PASSWORD } });
    const accessToken = signUp.data!.signUp.accessToken as string;
    const headers = { ...forwarded, ...(await dpopHeaders(key, publicUrl, accessToken)) };
    expect((await post({ url: second.url }, ME, headers)).data?.me).toBeTruthy();
    expectRefused(await post(first, ME, headers), /used before/);
    // Without the proxy's headers the request is for the instance's own address, not the proof's.
    expectRefused(await post(first, ME, await dpopHeaders(key, publicUrl, accessToken)), /htu/);
  });
});
