// A socket lives no longer than the access token it was opened with: past the token's `exp` (on the
// server's clock) nothing more is written to it, and it is closed with 4419 `token expired`, a code
// the official client retries. Regression: such a socket kept receiving mySessionsChanged (device,
// IP, User-Agent, location of new sign-ins) until it sent another subscribe.
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TOKEN_EXPIRED_CLOSE_CODE, TOKEN_EXPIRED_CLOSE_REASON } from '../src/realtime/close-codes.js';
import { AUTH_FIELDS, gql, loginUser, signUpUser, type AuthPayload } from './helpers/graphql.js';
import { scrape } from './helpers/metrics.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { connectSocket, SESSION_REVOKED, subscribeOver, waitFor, within, wsUrl, type Closed, type SessionRevokedEvent, type SocketClient } from './helpers/ws.js';

const CHANGES = 'subscription { mySessionsChanged { type session { id } } }';
type Change = { mySessionsChanged: { type: string; session: { id: string } } };
const REFRESH = `mutation($token: String!) { refreshSession(refreshToken: $token) { ${AUTH_FIELDS} } }`;
const TOKEN_EXPIRED: Closed = { code: TOKEN_EXPIRED_CLOSE_CODE, reason: TOKEN_EXPIRED_CLOSE_REASON };

describe('a socket past its access token', () => {
  let server: TestServer;
  const sockets: SocketClient[] = [];
  beforeAll(async () => { server = await startTestServer(); });
  afterEach(async () => { await Promise.all(sockets.splice(0).map((socket) => socket.dispose())); });
  afterAll(async () => { await server.close(); });

  it('gets no new sign-in once its token has expired, and is closed with 4419', async () => {
    const laptop = await signUpUser(server);
    const { socket: laptopSocket, events: laptopChanges } = await subscribeOver<Change>(server, laptop.accessToken, CHANGES, sockets);
    server.clock.advance(901);
    // A device whose token is still good hears of the same sign-in: the signal that it was sent.
    const phone = await loginUser(server, laptop.user.email);
    const { events: phoneChanges } = await subscribeOver<Change>(server, phone.accessToken, CHANGES, sockets);

    const tablet = await loginUser(server, laptop.user.email);
    // The phone may or may not hear of its own sign-in, published as it subscribed.
    const heardTablet = () => phoneChanges.values.some(({ mySessionsChanged }) => mySessionsChanged.session.id === tablet.session.id);
    await waitFor(heardTablet, 'CREATED on the live socket', 3_000);
    expect(phoneChanges.values).toContainEqual({ mySessionsChanged: { type: 'CREATED', session: { id: tablet.session.id } } });
    expect(await within(laptopSocket.closed, 3_000, 'close')).toEqual(TOKEN_EXPIRED);
    expect(laptopChanges.values).toEqual([]);
  });

  it("is not told its session's revocation once its token has expired, and is closed with 4419", async () => {
    const laptop = await signUpUser(server);
    const { socket, events } = await subscribeOver<{ sessionRevoked: SessionRevokedEvent }>(server, laptop.accessToken, SESSION_REVOKED, sockets);
    server.clock.advance(901);
    const phone = await loginUser(server, laptop.user.email);
    expect((await gql(server, 'mutation($id: ID!) { revokeSession(id: $id) }', { token: phone.accessToken, variables: { id: laptop.session.id } })).data).toEqual({ revokeSession: true });
    expect(await within(socket.closed, 3_000, 'close')).toEqual(TOKEN_EXPIRED);
    expect(events.values).toEqual([]);
  });

  it('answers no operation sent after the token expired, and closes with 4419', async () => {
    const user = await signUpUser(server);
    const { socket } = await subscribeOver<Change>(server, user.accessToken, CHANGES, sockets);
    server.clock.advance(901);
    const query = socket.subscribe<{ __typename: string }>('{ __typename }');
    expect(await within(socket.closed, 3_000, 'close')).toEqual(TOKEN_EXPIRED);
    expect(query.values).toEqual([]);
  });

  it('answers connection_init with an expired token with 4419, so the client refreshes and retries', async () => {
    const user = await signUpUser(server);
    server.clock.advance(901);
    const socket = connectSocket(server.url, user.accessToken);
    sockets.push(socket);
    expect(await within(socket.closed, 3_000, 'close')).toEqual(TOKEN_EXPIRED);
    expect(socket.isAcknowledged()).toBe(false);
  });

  it('keeps a socket whose token was rotated away by a refresh until that token expires', async () => {
    const laptop = await signUpUser(server);
    const { socket, events } = await subscribeOver<Change>(server, laptop.accessToken, CHANGES, sockets);
    expect((await gql<{ refreshSession: AuthPayload }>(server, REFRESH, { variables: { token: laptop.refreshToken } })).data?.refreshSession).toBeTruthy();

    const phone = await loginUser(server, laptop.user.email);
    expect((await within(events.first, 3_000, 'CREATED before exp')).mySessionsChanged).toEqual({ type: 'CREATED', session: { id: phone.session.id } });

    server.clock.advance(901);
    await loginUser(server, laptop.user.email);
    expect(await within(socket.closed, 3_000, 'close')).toEqual(TOKEN_EXPIRED);
    expect(events.values).toHaveLength(1);
  });
});

describe('a socket idle at its token expiry', () => {
  const TTL_SECONDS = 2;
  let server: TestServer;
  const clients: Client[] = [];
  beforeAll(async () => { server = await startTestServer({ ACCESS_TOKEN_TTL_SECONDS: String(TTL_SECONDS) }); });
  afterEach(async () => { await Promise.all(clients.splice(0).map((client) => client.dispose())); });
  afterAll(async () => { await server.close(); });

  it('is closed with 4419 by itself at exp, and the official client reconnects with its fresh token', async () => {
    const user = await signUpUser(server);
    let tokens = { accessToken: user.accessToken, refreshToken: user.refreshToken };
    const closes: Closed[] = [];
    let connections = 0;
    const client = createClient({
      url: wsUrl(server.url),
      webSocketImpl: WebSocket,
      retryAttempts: 3,
      retryWait: () => Promise.resolve(),
      // As a client does: the first connection uses the token it has; a reconnect refreshes first.
      connectionParams: async () => {
        if (connections > 0) {
          const refreshed = await gql<{ refreshSession: AuthPayload }>(server, REFRESH, { variables: { token: tokens.refreshToken } });
          tokens = refreshed.data!.refreshSession;
        }
        return { authorization: `Bearer ${tokens.accessToken}` };
      },
      on: {
        connected: () => { connections += 1; },
        closed: (event) => {
          const { code, reason } = event as { code: number; reason: string | Buffer };
          closes.push({ code, reason: String(reason) });
        },
      },
    });
    clients.push(client);
    const changes: Change[] = [];
    client.subscribe<Change>({ query: CHANGES }, { next: ({ data }) => changes.push(data!), error: () => {}, complete: () => {} });
    await waitFor(() => connections === 1, 'the first connection');
    await waitFor(async () => (await scrape(server)).value('session_server_websocket_subscriptions') === 1, 'the subscription');

    // The server's clock passes exp; no write is pending, so only the timer can close the socket.
    server.clock.advance(TTL_SECONDS);
    await waitFor(() => connections === 2, 'the reconnect', 6_000);
    expect(closes).toEqual([TOKEN_EXPIRED]);
    await waitFor(async () => (await scrape(server)).value('session_server_websocket_subscriptions') === 1, 'the subscription again');
    expect((await scrape(server)).value('session_server_websocket_connections')).toBe(1);

    const phone = await loginUser(server, user.user.email);
    await waitFor(() => changes.length === 1, 'CREATED on the new socket');
    expect(changes[0]!.mySessionsChanged).toEqual({ type: 'CREATED', session: { id: phone.session.id } });
  });
});
