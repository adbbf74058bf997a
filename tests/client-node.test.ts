// The client (src/client) in Node against the real server: many requests with a dead token make one
// refresh, and every way a session ends reaches onSignedOut exactly once, with its reason.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UnauthenticatedError } from '../src/client/index.js';
import { gql, issueSessionFor, loginUser, PASSWORD, signUpUser, uniqueEmail } from './helpers/graphql.js';
import { scrape } from './helpers/metrics.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { gauge, listening, operationsSince, recordingStorage, sessionClients, type TestSessionClient } from './helpers/session-client.js';
import { waitFor } from './helpers/ws.js';
import { newServiceKey } from './helpers/service-keys.js';

const REVOKE = 'mutation($id: ID!) { revokeSession(id: $id) }';

/** Signs a new user in through the client and waits for its forced-logout listener. */
async function signedInClient(server: TestServer, clients: ReturnType<typeof sessionClients>, options = {}) {
  const email = uniqueEmail();
  const created = clients.create(options);
  const { session } = await created.client.signUp({ email, password: PASSWORD, device: { deviceName: 'client under test' } });
  await listening(server);
  return { ...created, email, sessionId: session.id };
}

/** The reason arrives once; the socket is then closed, after which no second report could still be on its way. */
async function expectSignedOutOnce(server: TestServer, { client, signedOut }: TestSessionClient, reason: string): Promise<void> {
  await waitFor(() => signedOut.length > 0, `onSignedOut(${reason})`);
  await waitFor(async () => (await gauge(server, 'session_server_websocket_connections')) === 0, 'the socket to close');
  expect(signedOut).toEqual([reason]);
  expect(client.isSignedIn()).toBe(false);
  await expect(client.sessions()).rejects.toBeInstanceOf(UnauthenticatedError);
}

describe('the client against the server', () => {
  let server: TestServer;
  const clients = sessionClients(() => server);
  beforeAll(async () => { server = await startTestServer(); });
  afterEach(() => clients.disposeAll());
  afterAll(async () => { await server.close(); });

  it('makes one refreshSession for 20 concurrent requests whose access token expired, and retries each once', async () => {
    const { client } = await signedInClient(server, clients);
    const before = await scrape(server);
    server.clock.advance(901);

    const lists = await Promise.all(Array.from({ length: 20 }, () => client.sessions()));

    expect(lists.every((list) => list.length === 1 && list[0]!.isCurrent)).toBe(true);
    expect(await operationsSince(server, before, 'RefreshSession')).toBe(1);
    expect(await operationsSince(server, before, 'MySessions', 'error')).toBe(20);
    expect(await operationsSince(server, before, 'MySessions', 'success')).toBe(20);
  });

  it('runs subscriptions of its own over the same socket', async () => {
    const created = await signedInClient(server, clients);
    const changes: Array<{ type: string; session: { id: string } }> = [];
    created.client.subscribe<{ mySessionsChanged: { type: string; session: { id: string } } }>(
      'subscription MySessionsChanged { mySessionsChanged { type session { id } } }',
      undefined,
      { next: (data) => changes.push(data.mySessionsChanged) },
    );
    await listening(server, 2);
    expect(await gauge(server, 'session_server_websocket_connections')).toBe(1);
    const phone = await loginUser(server, created.email);
    await waitFor(() => changes.length > 0, 'the CREATED change');
    expect(changes).toEqual([{ type: 'CREATED', session: { id: phone.session.id } }]);
  });

  it('fails a subscription made while signed out with UNAUTHENTICATED, without retrying', async () => {
    const { client } = clients.create();
    const failed = new Promise<unknown>((resolve) => {
      client.subscribe('subscription MySessionsChanged { mySessionsChanged { type } }', undefined, { next: () => {}, error: resolve });
    });
    expect(await failed).toBeInstanceOf(UnauthenticatedError);
  });

  it('signs out with LOGOUT on logout()', async () => {
    const created = await signedInClient(server, clients);
    await created.client.logout();
    await expectSignedOutOnce(server, created, 'LOGOUT');
  });

  it('signs out with REVOKED when another device revokes the session', async () => {
    const created = await signedInClient(server, clients);
    const other = await loginUser(server, created.email);
    expect((await gql(server, REVOKE, { token: other.accessToken, variables: { id: created.sessionId } })).data).toEqual({ revokeSession: true });
    await expectSignedOutOnce(server, created, 'REVOKED');
  });

  it('signs out with PASSWORD_CHANGED when another session changes the password', async () => {
    const created = await signedInClient(server, clients);
    const other = await loginUser(server, created.email);
    const changed = await gql(server, 'mutation($current: String!) { changePassword(currentPassword: $current, newPassword: "another long passphrase") }', {
      token: other.accessToken,
      variables: { current: PASSWORD },
    });
    expect(changed.data).toEqual({ changePassword: true });
    await expectSignedOutOnce(server, created, 'PASSWORD_CHANGED');
  });

  it('signs out with REFRESH_TOKEN_REUSE when a rotated-away refresh token is presented from outside (a bearer session)', async () => {
    const { storage, issued } = recordingStorage();
    // A device-bound session's copied token proves nothing and ends nothing (tests/dpop.test.ts).
    const created = await signedInClient(server, clients, { storage, dpop: false });
    await created.client.refresh();
    expect(issued).toHaveLength(2);
    const replay = await gql(server, 'mutation($token: String!) { refreshSession(refreshToken: $token) { accessToken } }', { variables: { token: issued[0] } });
    expect(replay.code).toBe('UNAUTHENTICATED');
    await expectSignedOutOnce(server, created, 'REFRESH_TOKEN_REUSE');
  });

  it('binds its session to a key of its own by default, in memory in Node, and to none with dpop: false', async () => {
    const bound = await signedInClient(server, clients);
    expect((await bound.client.sessions()).find((session) => session.isCurrent)).toMatchObject({ id: bound.sessionId, isDeviceBound: true });
    const bearer = await signedInClient(server, clients, { dpop: false });
    expect((await bearer.client.sessions()).find((session) => session.isCurrent)).toMatchObject({ id: bearer.sessionId, isDeviceBound: false });
  });

  it('keeps its key in storage that can hold one: a bound session outlives a restart of the client', async () => {
    const saved = new Map<string, string>();
    const storage = {
      getRefreshToken: () => saved.get('refresh') ?? null,
      setRefreshToken: (token: string) => { saved.set('refresh', token); },
      clear: () => { saved.delete('refresh'); },
      getDeviceKey: () => saved.get('key') ?? null,
      setDeviceKey: (jwk: string) => { saved.set('key', jwk); },
    };
    const first = clients.create({ storage, forcedLogout: false });
    const { session } = await first.client.signUp({ email: uniqueEmail(), password: PASSWORD });
    expect(JSON.parse(saved.get('key')!)).toMatchObject({ kty: 'EC', crv: 'P-256' });
    first.client.dispose();

    const restarted = clients.create({ storage, forcedLogout: false });
    const sessions = await restarted.client.sessions();
    expect(sessions.find((listed) => listed.isCurrent)).toMatchObject({ id: session.id, isDeviceBound: true });
    // Another process with the refresh token but another key gets nothing.
    const elsewhere = clients.create({ storage: { ...storage, getDeviceKey: () => null, setDeviceKey: () => {} }, forcedLogout: false });
    await expect(elsewhere.client.sessions()).rejects.toBeInstanceOf(UnauthenticatedError);
  });

  it('without its socket, learns the reason from the refused refresh, once', async () => {
    const created = clients.create({ forcedLogout: false });
    const email = uniqueEmail();
    const { session } = await created.client.signUp({ email, password: PASSWORD });
    const other = await loginUser(server, email);
    await gql(server, REVOKE, { token: other.accessToken, variables: { id: session.id } });
    const error = await created.client.sessions().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnauthenticatedError);
    expect((error as UnauthenticatedError).reason).toBe('REVOKED');
    await expect(created.client.sessions()).rejects.toBeInstanceOf(UnauthenticatedError);
    expect(created.signedOut).toEqual(['REVOKED']);
  });

  it('keeps its socket through a refresh: a later revocation still arrives', async () => {
    const created = await signedInClient(server, clients);
    await created.client.refresh();
    const other = await loginUser(server, created.email);
    await gql(server, REVOKE, { token: other.accessToken, variables: { id: created.sessionId } });
    await expectSignedOutOnce(server, created, 'REVOKED');
  });
});

describe('the client and the expiry sweep', () => {
  let server: TestServer;
  const clients = sessionClients(() => server);
  beforeAll(async () => {
    server = await startTestServer({ SESSION_IDLE_TIMEOUT_SECONDS: '20', LAST_ACTIVE_WRITE_INTERVAL_SECONDS: '5', EXPIRY_SWEEP_SECONDS: '1' });
  });
  afterEach(() => clients.disposeAll());
  afterAll(async () => { await server.close(); });

  it('signs out with EXPIRED when the sweep ends the idle session', async () => {
    const created = await signedInClient(server, clients);
    server.clock.advance(25);
    await expectSignedOutOnce(server, created, 'EXPIRED');
  });
});

describe('the client and the session cap', () => {
  let server: TestServer;
  const clients = sessionClients(() => server);
  beforeAll(async () => { server = await startTestServer({ MAX_SESSIONS_PER_USER: '2' }); });
  afterEach(() => clients.disposeAll());
  afterAll(async () => { await server.close(); });

  it('signs out with SESSION_LIMIT when newer logins push its session out', async () => {
    const created = await signedInClient(server, clients);
    // Each login later than the last, so the client's session is the least recently active one.
    server.clock.advance(61);
    await loginUser(server, created.email);
    server.clock.advance(61);
    await loginUser(server, created.email);
    await expectSignedOutOnce(server, created, 'SESSION_LIMIT');
  });
});

describe('the client with short-lived access tokens', () => {
  let server: TestServer;
  const clients = sessionClients(() => server);
  beforeAll(async () => { server = await startTestServer({ ACCESS_TOKEN_TTL_SECONDS: '2' }); });
  afterEach(() => clients.disposeAll());
  afterAll(async () => { await server.close(); });

  it('refreshes ahead of expiry and reconnects after the socket closes with 4419', async () => {
    const before = await scrape(server);
    const created = await signedInClient(server, clients);
    // Two refreshes take over 3 s: the socket opened with the first token was closed at its exp (2 s).
    await waitFor(async () => (await operationsSince(server, before, 'RefreshSession', 'success')) >= 2, 'two refreshes ahead of expiry');
    await listening(server);
    const other = await loginUser(server, created.email);
    await gql(server, REVOKE, { token: other.accessToken, variables: { id: created.sessionId } });
    await expectSignedOutOnce(server, created, 'REVOKED');
    expect(await operationsSince(server, before, 'RefreshSession', 'error')).toBe(0);
  });

  it('adopts a session an app\'s backend got from issueSession, and signs out when the backend ends it', async () => {
    const backend = await newServiceKey(server, 'client-backend', ['sessions:issue', 'sessions:revoke']);
    const issued = await issueSessionFor(server, backend, { externalId: 'oidc|client' });
    const created = clients.create();
    const { session, user } = await created.client.adopt(issued.refreshToken);
    expect([session.id, user.externalId]).toEqual([issued.session.id, 'oidc|client']);
    await listening(server);
    expect((await created.client.sessions()).map(({ id, isCurrent }) => [id, isCurrent])).toEqual([[issued.session.id, true]]);
    const ended = await gql(server, 'mutation { revokeUserSessions(where: { externalId: "oidc|client" }, reason: "Support") }', { token: backend });
    expect(ended.data).toEqual({ revokeUserSessions: 1 });
    await expectSignedOutOnce(server, created, 'REVOKED');
  });
});
