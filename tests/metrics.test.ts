// GET /metrics: Prometheus text of this instance's own registry, optionally behind METRICS_TOKEN, absent with METRICS=off.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { gql, loginUser, PASSWORD, signUpUser, uniqueEmail } from './helpers/graphql.js';
import { metricsUrl, scrape } from './helpers/metrics.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { connectSocket, SESSION_REVOKED, subscribeOver, waitFor, within, type SessionRevokedEvent, type SocketClient } from './helpers/ws.js';

const OPERATIONS = 'session_server_graphql_operations_total';
const DURATION_COUNT = 'session_server_graphql_operation_duration_seconds_count';
const LOGINS = 'session_server_logins_total';
const LOGIN = 'mutation($input: LoginInput!) { login(input: $input) { accessToken } }';
const REFRESH = 'mutation($refreshToken: String!) { refreshSession(refreshToken: $refreshToken) { accessToken } }';
const AUTH_FAILURES = 'session_server_auth_failures_total';
const REASONS = ['missing', 'malformed', 'expired', 'revoked', 'rotated'];

describe('metrics', () => {
  let server: TestServer;
  const sockets: SocketClient[] = [];
  beforeAll(async () => { server = await startTestServer({ LOGIN_MAX_FAILURES_PER_EMAIL_IP: '2' }); });
  afterEach(async () => { await Promise.all(sockets.splice(0).map((socket) => socket.dispose())); });
  afterAll(async () => { await server.close(); });

  it("serves the Prometheus text format with Node's process metrics", async () => {
    const metrics = await scrape(server);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(metrics.text).toContain('# TYPE process_cpu_user_seconds_total counter');
    expect(metrics.samples.some((sample) => sample.name === 'nodejs_heap_size_used_bytes')).toBe(true);
  });

  it('counts and times operations by name, type and outcome', async () => {
    const user = await signUpUser(server);
    const before = await scrape(server);
    expect((await gql(server, 'query CurrentUser { me { id } }', { token: user.accessToken })).data).toEqual({ me: { id: user.user.id } });
    expect((await gql(server, 'query DeviceList { mySessions { id } }')).code).toBe('UNAUTHENTICATED');
    expect((await gql(server, 'query Broken { noSuchField }')).code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect((await gql(server, '{ __typename }')).data).toEqual({ __typename: 'Query' });

    const after = await scrape(server);
    const moved = (labels: Record<string, string>) => after.value(OPERATIONS, labels) - before.value(OPERATIONS, labels);
    expect(moved({ operation: 'CurrentUser', type: 'query', outcome: 'success' })).toBe(1);
    expect(moved({ operation: 'DeviceList', type: 'query', outcome: 'error' })).toBe(1);
    expect(moved({ operation: 'Broken', type: 'unknown', outcome: 'invalid' })).toBe(1);
    expect(moved({ operation: 'anonymous', type: 'query', outcome: 'success' })).toBe(1);
    expect(after.value(DURATION_COUNT, { operation: 'CurrentUser', outcome: 'success' }) - before.value(DURATION_COUNT, { operation: 'CurrentUser', outcome: 'success' })).toBe(1);
    expect(after.value('session_server_graphql_operation_duration_seconds_sum', { operation: 'CurrentUser' })).toBeGreaterThan(0);
    // The sign-up's payload went through the server; none of it may reach the metrics.
    for (const secret of [user.accessToken, user.refreshToken, user.user.email]) expect(after.text).not.toContain(secret);
  });

  it('counts logins by outcome: success, failure, and throttled once the limit is reached', async () => {
    const user = await signUpUser(server);
    const login = (password: string) => gql(server, LOGIN, { variables: { input: { email: user.user.email, password } } });
    const before = await scrape(server);
    await loginUser(server, user.user.email);
    expect((await login('not the password')).code).toBe('INVALID_CREDENTIALS');
    expect((await login('not the password either')).code).toBe('INVALID_CREDENTIALS');
    expect((await login(PASSWORD)).code).toBe('RATE_LIMITED');
    // An unknown email is a failure like a wrong password.
    expect((await gql(server, LOGIN, { variables: { input: { email: uniqueEmail(), password: PASSWORD } } })).code).toBe('INVALID_CREDENTIALS');

    const after = await scrape(server);
    const moved = (outcome: string) => after.value(LOGINS, { outcome }) - before.value(LOGINS, { outcome });
    expect([moved('success'), moved('failure'), moved('throttled')]).toEqual([1, 3, 1]);
    expect(after.text).not.toContain(user.user.email);
  });

  it('reads the WebSocket gauges live, and times a revocation pushed to a socket', async () => {
    const laptop = await signUpUser(server);
    const phone = await loginUser(server, laptop.user.email);
    const gauges = async () => {
      const metrics = await scrape(server);
      return [metrics.value('session_server_websocket_connections'), metrics.value('session_server_websocket_subscriptions')];
    };
    const pushes = async () => (await scrape(server)).value('session_server_revocation_push_latency_seconds_count');
    expect(await gauges()).toEqual([0, 0]);
    const { socket: phoneSocket, events } = await subscribeOver<{ sessionRevoked: SessionRevokedEvent }>(server, phone.accessToken, SESSION_REVOKED, sockets);
    const idle = connectSocket(server.url, laptop.accessToken);
    sockets.push(idle);
    await idle.acknowledged;
    expect(await gauges()).toEqual([2, 1]);
    expect(await pushes()).toBe(0);

    await gql(server, 'mutation($id: ID!) { revokeSession(id: $id) }', { token: laptop.accessToken, variables: { id: phone.session.id } });
    expect((await within(events.first, 2_000, 'sessionRevoked')).sessionRevoked.sessionId).toBe(phone.session.id);
    await within(phoneSocket.closed, 2_000, 'close');
    await waitFor(async () => (await pushes()) === 1, 'the push to be timed');
    const metrics = await scrape(server);
    expect(metrics.value('session_server_revocation_push_latency_seconds_sum')).toBeGreaterThan(0);
    expect(metrics.value('session_server_revocation_push_latency_seconds_bucket', { le: '5' })).toBe(1);
    await waitFor(async () => (await gauges()).join() === '1,0', 'the gauges to drop');
    await idle.dispose();
    await waitFor(async () => (await gauges()).join() === '0,0', 'the gauges to reach zero');
  });
});

describe('metrics: authentication failures', () => {
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer(); });
  afterAll(async () => { await server.close(); });

  const failures = async () => {
    const metrics = await scrape(server);
    return Object.fromEntries(REASONS.map((reason) => [reason, metrics.value(AUTH_FAILURES, { reason })]));
  };

  it('counts missing, malformed, revoked and rotated tokens, over HTTP and WebSocket', async () => {
    const user = await signUpUser(server);
    const signedOut = await loginUser(server, user.user.email);
    await gql(server, 'mutation { logout }', { token: signedOut.accessToken });
    const [header, payload] = user.accessToken.split('.');
    expect(await failures()).toEqual({ missing: 0, malformed: 0, expired: 0, revoked: 0, rotated: 0 });

    // Two guarded fields, one request: one `missing`. No token where none is needed is no failure.
    expect((await gql(server, '{ mySessions { id } mySecurityEvents { edges { cursor } } }')).code).toBe('UNAUTHENTICATED');
    expect((await gql(server, '{ me { id } }')).data).toEqual({ me: null });
    for (const token of ['not-a-jwt', `${header}.${payload}.${'A'.repeat(43)}`]) expect((await gql(server, '{ me { id } }', { token })).code).toBe('UNAUTHENTICATED');
    expect((await gql(server, '{ me { id } }', { headers: { authorization: 'Basic abc' } })).code).toBe('UNAUTHENTICATED');
    expect((await gql(server, '{ me { id } }', { token: signedOut.accessToken })).code).toBe('UNAUTHENTICATED');
    expect(await failures()).toEqual({ missing: 1, malformed: 3, expired: 0, revoked: 1, rotated: 0 });

    // The access token of a pair that was refreshed away, then the refresh token itself presented again.
    expect((await gql(server, REFRESH, { variables: { refreshToken: user.refreshToken } })).data).toBeTruthy();
    expect((await gql(server, '{ me { id } }', { token: user.accessToken })).code).toBe('UNAUTHENTICATED');
    expect((await gql(server, REFRESH, { variables: { refreshToken: user.refreshToken } })).code).toBe('UNAUTHENTICATED');
    expect(await failures()).toEqual({ missing: 1, malformed: 3, expired: 0, revoked: 1, rotated: 2 });

    const refused = [connectSocket(server.url), connectSocket(server.url, undefined, { authorization: 'Basic abc' }), connectSocket(server.url, signedOut.accessToken)];
    for (const socket of refused) expect((await within(socket.closed, 2_000, 'close')).code).toBe(4401);
    expect(await failures()).toEqual({ missing: 2, malformed: 4, expired: 0, revoked: 2, rotated: 2 });
    expect((await scrape(server)).text).not.toContain(user.accessToken);
  });
});

describe('metrics: as time passes', () => {
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer({ CLEANUP_INTERVAL_SECONDS: '1' }); });
  afterAll(async () => { await server.close(); });

  it('counts an expired access token', async () => {
    const user = await signUpUser(server);
    const expired = async () => (await scrape(server)).value(AUTH_FAILURES, { reason: 'expired' });
    expect(await expired()).toBe(0);
    server.clock.advance(901);
    expect((await gql(server, '{ me { id } }', { token: user.accessToken })).code).toBe('UNAUTHENTICATED');
    expect(await expired()).toBe(1);
  });

  it('counts the rows it removes, by table', async () => {
    const removed = async (table: string) => (await scrape(server)).value('session_server_cleanup_rows_removed_total', { table });
    expect(await removed('login_failures')).toBe(0);
    await gql(server, LOGIN, { variables: { input: { email: uniqueEmail(), password: PASSWORD } } });
    // The failure leaves the throttling window (900 s), and the next run removes it.
    server.clock.advance(901);
    await waitFor(async () => (await removed('login_failures')) === 1, 'the cleanup to count the failure', 5_000);
    expect(await removed('sessions')).toBe(0);
  });
});

describe('metrics: operation names', () => {
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer(); });
  afterAll(async () => { await server.close(); });

  it('labels at most 100 distinct names per instance, then `other`; a name that is not a GraphQL name is `other`', async () => {
    for (let i = 0; i < 105; i += 1) await gql(server, `query Op${i} { __typename }`);
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }', operationName: 'not a name' }),
    });
    expect(response.status).toBe(400);

    const metrics = await scrape(server);
    const names = new Set(metrics.samples.filter((sample) => sample.name === OPERATIONS).map((sample) => sample.labels.operation));
    expect(names.has('Op99')).toBe(true);
    expect(names.has('Op100')).toBe(false);
    expect([...names].filter((name) => /^Op\d+$/.test(name!))).toHaveLength(100);
    expect(metrics.value(OPERATIONS, { operation: 'other' })).toBe(6);
    expect(metrics.text).not.toContain('not a name');
  });
});

describe('metrics switched off', () => {
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer({ METRICS: 'off' }); });
  afterAll(async () => { await server.close(); });

  it('has no /metrics', async () => {
    expect((await fetch(metricsUrl(server))).status).toBe(404);
  });
});

describe('metrics behind METRICS_TOKEN', () => {
  const token = 'scrape-token-0123456789abcdef';
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer({ METRICS_TOKEN: token }); });
  afterAll(async () => { await server.close(); });

  it('answers 401 with WWW-Authenticate: Bearer without the token or with a wrong one, 200 with it', async () => {
    for (const attempt of [undefined, 'wrong', `${token}x`, token.slice(0, -1)]) {
      const refused = await scrape(server, attempt);
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toBe('Bearer');
      expect(refused.text).not.toContain('session_server_');
    }
    const basic = await fetch(metricsUrl(server), { headers: { authorization: `Basic ${Buffer.from(`x:${token}`).toString('base64')}` } });
    expect(basic.status).toBe(401);
    const allowed = await scrape(server, token);
    expect(allowed.status).toBe(200);
    expect(allowed.text).toContain('session_server_graphql_operations_total');
    expect(allowed.text).not.toContain(token);
  });
});

describe('metrics in production', () => {
  let open: TestServer;
  let guarded: TestServer;
  beforeAll(async () => {
    [open, guarded] = await Promise.all([
      startTestServer({ NODE_ENV: 'production' }),
      startTestServer({ NODE_ENV: 'production', METRICS_TOKEN: 'scrape-token-0123456789abcdef' }),
    ]);
  });
  afterAll(async () => { await Promise.all([open.close(), guarded.close()]); });

  const warnings = (server: TestServer) => server.logs().split('\n').filter(Boolean).map((line) => JSON.parse(line) as { level: number; msg: string }).filter((line) => line.level === 40);

  it('stay on without METRICS_TOKEN, with one warning at start-up; none with the token', async () => {
    expect((await scrape(open)).status).toBe(200);
    expect(warnings(open)).toEqual([expect.objectContaining({ msg: expect.stringMatching(/METRICS_TOKEN/) })]);
    expect(warnings(guarded)).toEqual([]);
  });
});
