// Revocations pushed to the revoked device over graphql-ws, then its socket closed with 4401 and the
// reason its session ended; a socket outlives its session's token refreshes.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { sessionEndedCloseReason, UNAUTHORIZED_CLOSE_CODE, UNAUTHORIZED_CLOSE_REASON } from '../src/realtime/close-codes.js';
import { queryRows } from './helpers/db.js';
import { AUTH_FIELDS, gql, loginUser, signUpUser } from './helpers/graphql.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { answersOver, connectSocket, SESSION_REVOKED, whenSubscribed, within, type SessionRevokedEvent, type SocketClient } from './helpers/ws.js';

describe('forced logout over WebSocket', () => {
  let server: TestServer;
  const sockets: SocketClient[] = [];
  const open = async (token: string) => {
    const socket = connectSocket(server.url, token);
    sockets.push(socket);
    await socket.acknowledged;
    return socket;
  };
  const subscribe = (socket: SocketClient) => socket.subscribe<{ sessionRevoked: SessionRevokedEvent }>(SESSION_REVOKED);

  beforeAll(async () => { server = await startTestServer(); });
  afterEach(async () => { await Promise.all(sockets.splice(0).map((socket) => socket.dispose())); });
  afterAll(async () => { await server.close(); });

  it('pushes REVOKED to the revoked device, then closes its socket with 4401; other sessions hear nothing', async () => {
    const laptop = await signUpUser(server);
    const phone = await loginUser(server, laptop.user.email);
    const phoneSocket = await open(phone.accessToken);
    const laptopSocket = await open(laptop.accessToken);
    const phoneEvents = subscribe(phoneSocket);
    const laptopEvents = subscribe(laptopSocket);
    await whenSubscribed(server, phone.session.id);
    await whenSubscribed(server, laptop.session.id);

    const revoked = await gql(server, 'mutation($id: ID!) { revokeSession(id: $id) }', { token: laptop.accessToken, variables: { id: phone.session.id } });
    expect(revoked.data).toEqual({ revokeSession: true });

    const event = await within(phoneEvents.first, 2_000, 'sessionRevoked');
    expect(event.sessionRevoked).toMatchObject({ sessionId: phone.session.id, reason: 'REVOKED' });
    expect(Date.parse(event.sessionRevoked.revokedAt)).not.toBeNaN();
    expect(await within(phoneSocket.closed, 2_000, 'close')).toEqual({ code: UNAUTHORIZED_CLOSE_CODE, reason: sessionEndedCloseReason('REVOKED') });
    expect(phoneEvents.values).toHaveLength(1);

    expect(await answersOver(laptopSocket)).toBe(true);
    expect(laptopEvents.values).toEqual([]);
  });

  it('revokeOtherSessions reaches every other session; the caller keeps its socket', async () => {
    const me = await signUpUser(server);
    const others = await Promise.all([loginUser(server, me.user.email), loginUser(server, me.user.email)]);
    const mySocket = await open(me.accessToken);
    const myEvents = subscribe(mySocket);
    const otherSockets = await Promise.all(others.map((other) => open(other.accessToken)));
    const otherEvents = otherSockets.map(subscribe);
    for (const session of [me, ...others]) await whenSubscribed(server, session.session.id);

    expect((await gql(server, 'mutation { revokeOtherSessions }', { token: me.accessToken })).data).toEqual({ revokeOtherSessions: 2 });

    const received = await within(Promise.all(otherEvents.map((events) => events.first)), 2_000, 'events');
    expect(received.map((event) => event.sessionRevoked.sessionId).sort()).toEqual(others.map((other) => other.session.id).sort());
    expect(received.every((event) => event.sessionRevoked.reason === 'REVOKED')).toBe(true);
    for (const socket of otherSockets) expect((await within(socket.closed, 2_000, 'close')).code).toBe(4401);
    // The caller's socket still runs operations.
    expect(await answersOver(mySocket)).toBe(true);
    expect(myEvents.values).toEqual([]);
  });

  it("logout tells the session's other sockets LOGOUT", async () => {
    const user = await signUpUser(server);
    const otherTab = await open(user.accessToken);
    const events = subscribe(otherTab);
    await whenSubscribed(server, user.session.id);
    expect((await gql(server, 'mutation { logout }', { token: user.accessToken })).data).toEqual({ logout: true });
    expect((await within(events.first, 2_000, 'sessionRevoked')).sessionRevoked).toMatchObject({ sessionId: user.session.id, reason: 'LOGOUT' });
    expect(await within(otherTab.closed, 2_000, 'close')).toEqual({ code: UNAUTHORIZED_CLOSE_CODE, reason: sessionEndedCloseReason('LOGOUT') });
  });

  it('closes a socket with no subscription when its session is revoked', async () => {
    const user = await signUpUser(server);
    const idle = await open(user.accessToken);
    await gql(server, 'mutation { revokeAllSessions }', { token: user.accessToken });
    expect(await within(idle.closed, 2_000, 'close')).toEqual({ code: UNAUTHORIZED_CLOSE_CODE, reason: sessionEndedCloseReason('REVOKED') });
  });

  it('refuses a missing, malformed or forged token with 4401 unauthorized and no ack', async () => {
    const user = await signUpUser(server);
    const [header, payload] = user.accessToken.split('.');
    const forged = `${header}.${payload}.${'A'.repeat(43)}`;
    const attempts = [connectSocket(server.url), connectSocket(server.url, undefined, { authorization: 'Basic abc' }), connectSocket(server.url, forged)];
    sockets.push(...attempts);
    for (const attempt of attempts) {
      expect(await within(attempt.closed, 2_000, 'close')).toEqual({ code: UNAUTHORIZED_CLOSE_CODE, reason: UNAUTHORIZED_CLOSE_REASON });
      expect(attempt.isAcknowledged()).toBe(false);
    }
  });

  it('tells a client that reconnects after its session ended while it was away why, at connection_init', async () => {
    const laptop = await signUpUser(server);
    const phone = await loginUser(server, laptop.user.email);
    const before = await open(phone.accessToken);
    await before.dispose();
    // Revoked while the phone had no socket: no event could reach it.
    expect((await gql(server, 'mutation($id: ID!) { revokeSession(id: $id) }', { token: laptop.accessToken, variables: { id: phone.session.id } })).data).toEqual({ revokeSession: true });
    const again = connectSocket(server.url, phone.accessToken);
    sockets.push(again);
    expect(await within(again.closed, 2_000, 'close')).toEqual({ code: UNAUTHORIZED_CLOSE_CODE, reason: sessionEndedCloseReason('REVOKED') });
    expect(again.isAcknowledged()).toBe(false);

    await gql(server, 'mutation { logout }', { token: laptop.accessToken });
    const loggedOut = connectSocket(server.url, laptop.accessToken);
    sockets.push(loggedOut);
    expect(await within(loggedOut.closed, 2_000, 'close')).toEqual({ code: UNAUTHORIZED_CLOSE_CODE, reason: sessionEndedCloseReason('LOGOUT') });

    // Long gone: the cleanup has deleted the ended session's row.
    const removed = await loginUser(server, laptop.user.email);
    await queryRows(server.database, sql`DELETE FROM sessions WHERE id = ${removed.session.id}`);
    const afterCleanup = connectSocket(server.url, removed.accessToken);
    sockets.push(afterCleanup);
    expect(await within(afterCleanup.closed, 2_000, 'close')).toEqual({ code: UNAUTHORIZED_CLOSE_CODE, reason: sessionEndedCloseReason('REVOKED') });
  });

  it('refuses a subscription over HTTP with 400 BAD_REQUEST, pointing at WebSocket', async () => {
    const user = await signUpUser(server);
    const result = await gql(server, SESSION_REVOKED, { token: user.accessToken });
    expect(result.status).toBe(400);
    expect(result.code).toBe('BAD_REQUEST');
    expect(result.errors?.[0]?.message).toMatch(/WebSocket/);
  });

  // Regression: a subscribe after a refresh was checked against the socket's token, which the refresh
  // had replaced; the socket was closed with 4401, its listeners ended, the session alive.
  it('keeps the socket across a refresh: a subscribe after it works, and the revocation still arrives', async () => {
    const laptop = await signUpUser(server);
    const phone = await loginUser(server, laptop.user.email);
    const socket = await open(phone.accessToken);
    const changes = socket.subscribe<{ mySessionsChanged: { type: string } }>('subscription { mySessionsChanged { type } }');
    const refreshed = await gql(server, `mutation($t: String!) { refreshSession(refreshToken: $t) { ${AUTH_FIELDS} } }`, { variables: { t: phone.refreshToken } });
    expect(refreshed.data?.refreshSession?.accessToken).toBeTypeOf('string');
    const events = subscribe(socket);
    await whenSubscribed(server, phone.session.id, 2);
    expect(socket.isAcknowledged()).toBe(true);

    await gql(server, 'mutation($id: ID!) { revokeSession(id: $id) }', { token: laptop.accessToken, variables: { id: phone.session.id } });
    expect((await within(events.first, 2_000, 'sessionRevoked')).sessionRevoked).toMatchObject({ sessionId: phone.session.id, reason: 'REVOKED' });
    expect(await within(socket.closed, 2_000, 'close')).toEqual({ code: UNAUTHORIZED_CLOSE_CODE, reason: sessionEndedCloseReason('REVOKED') });
    expect(changes.values).toEqual([]);
  });

  it('re-checks the session on every subscribe message, and tells the socket first when it finds it ended', async () => {
    const user = await signUpUser(server);
    const socket = await open(user.accessToken);
    const events = subscribe(socket);
    await whenSubscribed(server, user.session.id);
    // Ended in the database without a notification, as if the bus had lost it: only the re-check can see it.
    await queryRows(server.database, sql`UPDATE sessions SET revoked_at = now(), revoked_reason = 'PASSWORD_CHANGED' WHERE id = ${user.session.id}`);
    const attempt = socket.subscribe<{ __typename: string }>('{ __typename }');
    expect((await within(events.first, 2_000, 'sessionRevoked')).sessionRevoked).toMatchObject({ sessionId: user.session.id, reason: 'PASSWORD_CHANGED' });
    expect(await within(socket.closed, 2_000, 'close')).toEqual({ code: UNAUTHORIZED_CLOSE_CODE, reason: sessionEndedCloseReason('PASSWORD_CHANGED') });
    expect(attempt.values).toEqual([]);
  });
});

describe('WebSocket limits', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ WS_MAX_SUBSCRIPTIONS: '2', WS_MAX_MESSAGE_BYTES: '2048', WS_CONNECTION_INIT_TIMEOUT_MS: '300' });
  });
  afterAll(async () => { await server.close(); });

  it('refuses an operation over the per-connection limit with SUBSCRIPTION_LIMIT_REACHED', async () => {
    const user = await signUpUser(server);
    const socket = connectSocket(server.url, user.accessToken);
    await socket.acknowledged;
    const running = [socket.subscribe(SESSION_REVOKED), socket.subscribe(SESSION_REVOKED)];
    await whenSubscribed(server, user.session.id, 2);
    const third = socket.subscribe(SESSION_REVOKED);
    await within(third.done, 2_000, 'refusal');
    expect(third.errors).toMatchObject([[{ extensions: { code: 'SUBSCRIPTION_LIMIT_REACHED' } }]]);
    expect(running.every((subscription) => subscription.errors.length === 0)).toBe(true);
    await socket.dispose();
  });

  it('closes a socket that sends a message over the size limit with 1009', async () => {
    const user = await signUpUser(server);
    const socket = connectSocket(server.url, user.accessToken);
    await socket.acknowledged;
    socket.subscribe(`{ __typename ${' '.repeat(4096)} }`);
    expect((await within(socket.closed, 2_000, 'close')).code).toBe(1009);
  });

  it('closes a socket that does not send connection_init in time with 4408', async () => {
    const { default: WebSocket } = await import('ws');
    const raw = new WebSocket(server.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    const code = await within(new Promise<number>((resolve) => raw.once('close', (closeCode) => resolve(closeCode))), 2_000, 'close');
    expect(code).toBe(4408);
  });
});
