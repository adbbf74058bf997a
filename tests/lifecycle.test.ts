// Refresh-token reuse, idle and absolute timeouts, and the per-user session cap.
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from './helpers/db.js';
import { AUTH_FIELDS, gql, loginUser, signUpUser, type AuthPayload } from './helpers/graphql.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { SESSION_REVOKED, subscribeOver, waitFor, within, type SessionRevokedEvent, type SocketClient } from './helpers/ws.js';

const REFRESH = `mutation($token: String!) { refreshSession(refreshToken: $token) { ${AUTH_FIELDS} } }`;
const EVENTS = '{ mySecurityEvents(first: 100) { edges { node { type sessionId actorSessionId } } } }';

type EventNode = { type: string; sessionId: string | null; actorSessionId: string | null };
async function eventsOf(server: TestServer, token: string): Promise<EventNode[]> {
  const result = await gql<{ mySecurityEvents: { edges: Array<{ node: EventNode }> } }>(server, EVENTS, { token });
  return result.data!.mySecurityEvents.edges.map((edge) => edge.node);
}

function subscribed(server: TestServer, token: string, sockets: SocketClient[]) {
  return subscribeOver<{ sessionRevoked: SessionRevokedEvent }>(server, token, SESSION_REVOKED, sockets);
}

describe('refresh-token reuse', () => {
  let server: TestServer;
  const sockets: SocketClient[] = [];
  beforeAll(async () => { server = await startTestServer(); });
  afterEach(async () => { await Promise.all(sockets.splice(0).map((socket) => socket.dispose())); });
  afterAll(async () => { await server.close(); });

  it('lets exactly one of 20 parallel refreshes with one token win, and treats the others as reuse', async () => {
    const user = await signUpUser(server);
    const results = await Promise.all(Array.from({ length: 20 }, () => gql<{ refreshSession: AuthPayload }>(server, REFRESH, { variables: { token: user.refreshToken } })));
    const winners = results.filter((result) => result.data?.refreshSession);
    expect(winners).toHaveLength(1);
    expect(results.filter((result) => result.code === 'UNAUTHENTICATED')).toHaveLength(19);
    // The losers presented a token that had been rotated away: the session is over, winner's pair included.
    const next = winners[0]!.data!.refreshSession;
    expect((await gql(server, '{ me { id } }', { token: next.accessToken })).status).toBe(401);
    expect((await gql(server, REFRESH, { variables: { token: next.refreshToken } })).code).toBe('UNAUTHENTICATED');
  });

  it('revokes the session when a rotated-away token is replayed, and pushes REFRESH_TOKEN_REUSE', async () => {
    const user = await signUpUser(server);
    const watcher = await loginUser(server, user.user.email);
    const { socket, events } = await subscribed(server, user.accessToken, sockets);
    const rotated = (await gql<{ refreshSession: AuthPayload }>(server, REFRESH, { variables: { token: user.refreshToken } })).data!.refreshSession;

    const replay = await gql(server, REFRESH, { variables: { token: user.refreshToken } });
    expect(replay.status).toBe(401);
    expect(replay.code).toBe('UNAUTHENTICATED');
    expect((await within(events.first, 3_000, 'push')).sessionRevoked).toMatchObject({ sessionId: user.session.id, reason: 'REFRESH_TOKEN_REUSE' });
    expect((await within(socket.closed, 3_000, 'close')).code).toBe(4401);
    expect((await gql(server, '{ me { id } }', { token: rotated.accessToken })).status).toBe(401);
    // A refresh token of a revoked session never revives it.
    expect((await gql(server, REFRESH, { variables: { token: rotated.refreshToken } })).code).toBe('UNAUTHENTICATED');

    const recorded = (await eventsOf(server, watcher.accessToken)).filter((event) => event.type === 'REFRESH_TOKEN_REUSE');
    expect(recorded).toEqual([{ type: 'REFRESH_TOKEN_REUSE', sessionId: user.session.id, actorSessionId: null }]);
  });

  // Regression: the user was read after the rotation had committed, so a failure there left the
  // client with an error and a rotated-away token, and its retry was taken for theft.
  it('changes nothing when a refresh fails, so retrying with the same token succeeds', async () => {
    const user = await signUpUser(server);
    // Only the read of the account touches this table: the lookup and the rotation do not.
    await server.database.db.execute(sql`ALTER TABLE users RENAME TO users_gone`);
    const failed = await gql(server, REFRESH, { variables: { token: user.refreshToken } }).finally(() => server.database.db.execute(sql`ALTER TABLE users_gone RENAME TO users`));
    expect(failed.code).toBe('INTERNAL_SERVER_ERROR');

    const retried = await gql<{ refreshSession: AuthPayload }>(server, REFRESH, { variables: { token: user.refreshToken } });
    expect(retried.errors).toBeUndefined();
    expect(retried.data!.refreshSession).toMatchObject({ user: { id: user.user.id }, session: { id: user.session.id } });
    expect((await gql(server, '{ me { id } }', { token: retried.data!.refreshSession.accessToken })).data).toEqual({ me: { id: user.user.id } });
    expect((await eventsOf(server, retried.data!.refreshSession.accessToken)).map((event) => event.type)).not.toContain('REFRESH_TOKEN_REUSE');
  });
});

describe('idle and absolute timeouts', () => {
  let server: TestServer;
  const sockets: SocketClient[] = [];
  beforeAll(async () => {
    server = await startTestServer({
      SESSION_IDLE_TIMEOUT_SECONDS: '20', LAST_ACTIVE_WRITE_INTERVAL_SECONDS: '5', SESSION_MAX_AGE_SECONDS: '60', EXPIRY_SWEEP_SECONDS: '1',
    });
  });
  afterEach(async () => { await Promise.all(sockets.splice(0).map((socket) => socket.dispose())); });
  afterAll(async () => { await server.close(); });

  const me = (token: string) => gql(server, '{ me { id } }', { token });

  it('ends an idle session: rejected, unlisted, pushed EXPIRED, recorded once', async () => {
    const idle = await signUpUser(server);
    const active = await loginUser(server, idle.user.email);
    const { socket, events } = await subscribed(server, idle.accessToken, sockets);

    server.clock.advance(12);
    expect((await me(active.accessToken)).status).toBe(200);
    await waitFor(async () => {
      const listed = await gql<{ mySessions: Array<{ lastActiveAt: string }> }>(server, '{ mySessions { lastActiveAt } }', { token: active.accessToken });
      return listed.data!.mySessions[0]!.lastActiveAt === server.clock.now().toISOString();
    }, 'activity to be written');
    server.clock.advance(12);

    expect((await me(idle.accessToken)).status).toBe(401);
    expect((await gql(server, REFRESH, { variables: { token: idle.refreshToken } })).code).toBe('UNAUTHENTICATED');
    const listed = await gql(server, '{ mySessions { id } }', { token: active.accessToken });
    expect(listed.data!.mySessions).toEqual([{ id: active.session.id }]);
    expect((await within(events.first, 5_000, 'sweep push')).sessionRevoked).toMatchObject({ sessionId: idle.session.id, reason: 'EXPIRED' });
    expect((await within(socket.closed, 3_000, 'close')).code).toBe(4401);

    // A whole sweep after the one that ended it: a session already ended is not recorded again.
    await server.runJob('expirySweep');
    const expired = (await eventsOf(server, active.accessToken)).filter((event) => event.type === 'SESSION_EXPIRED');
    expect(expired).toEqual([{ type: 'SESSION_EXPIRED', sessionId: idle.session.id, actorSessionId: null }]);
  });

  // Regression: a session was dated by the sweep that found it, not by when it ended.
  it('dates an ended session by its idle deadline or its lifetime, whichever came first, however late the sweep', async () => {
    const idle = await signUpUser(server);
    let aged = await signUpUser(server);
    const { events } = await subscribed(server, idle.accessToken, sockets);
    const endOf = async (sessionId: string) => {
      const [row] = await queryRows<{ revoked_at: string | Date | null; event_at: string | Date | null }>(server.database, sql`
        SELECT revoked_at, (SELECT created_at FROM security_events WHERE session_id = ${sessionId}::uuid AND type = 'SESSION_EXPIRED') AS event_at
        FROM sessions WHERE id = ${sessionId}::uuid`);
      return row!.revoked_at === null ? null : { revokedAt: new Date(row!.revoked_at).toISOString(), eventAt: new Date(row!.event_at!).toISOString() };
    };
    // `aged` is kept active until its lifetime runs out; `idle` is left alone, 10 s past its deadline at the first sweep.
    for (let elapsed = 15; elapsed <= 45; elapsed += 15) {
      server.clock.advance(15);
      aged = (await gql<{ refreshSession: AuthPayload }>(server, REFRESH, { variables: { token: aged.refreshToken } })).data!.refreshSession;
      if (elapsed === 30) {
        const idleDeadline = new Date(Date.parse(idle.session.lastActiveAt) + 20_000).toISOString();
        expect((await within(events.first, 5_000, 'sweep push')).sessionRevoked).toEqual({ sessionId: idle.session.id, reason: 'EXPIRED', revokedAt: idleDeadline });
        expect(await endOf(idle.session.id)).toEqual({ revokedAt: idleDeadline, eventAt: idleDeadline });
      }
    }
    server.clock.advance(1_000);
    await waitFor(async () => (await endOf(aged.session.id)) !== null, 'the sweep');
    expect(await endOf(aged.session.id)).toEqual({ revokedAt: aged.session.expiresAt, eventAt: aged.session.expiresAt });
  });

  it('ends a session at its absolute lifetime, however active, and refreshing does not extend it', async () => {
    const user = await signUpUser(server);
    let tokens = { accessToken: user.accessToken, refreshToken: user.refreshToken };
    for (let elapsed = 0; elapsed < 54; elapsed += 6) {
      server.clock.advance(6);
      tokens = (await gql<{ refreshSession: AuthPayload }>(server, REFRESH, { variables: { token: tokens.refreshToken } })).data!.refreshSession;
    }
    expect((await me(tokens.accessToken)).status).toBe(200);
    server.clock.advance(7);
    expect((await me(tokens.accessToken)).status).toBe(401);
    expect((await gql(server, REFRESH, { variables: { token: tokens.refreshToken } })).code).toBe('UNAUTHENTICATED');
  });
});

describe('session cap', () => {
  let server: TestServer;
  const sockets: SocketClient[] = [];
  beforeAll(async () => { server = await startTestServer({ MAX_SESSIONS_PER_USER: '3' }); });
  afterAll(async () => {
    await Promise.all(sockets.splice(0).map((socket) => socket.dispose()));
    await server.close();
  });

  it('ends the least recently active session on a login beyond the cap, and pushes SESSION_LIMIT', async () => {
    const first = await signUpUser(server);
    server.clock.advance(61);
    const second = await loginUser(server, first.user.email);
    // Subscribed now: opening a socket later would count as activity of the second session.
    const { events } = await subscribed(server, second.accessToken, sockets);
    server.clock.advance(61);
    const third = await loginUser(server, first.user.email);
    server.clock.advance(61);
    // The first session is used again, so the second is now the least recently active.
    await gql(server, '{ me { id } }', { token: first.accessToken });
    await waitFor(async () => {
      const listed = await gql<{ mySessions: Array<{ id: string }> }>(server, '{ mySessions { id } }', { token: third.accessToken });
      return listed.data!.mySessions[1]?.id === first.session.id;
    }, 'activity to be written');

    const fourth = await loginUser(server, first.user.email);
    expect((await within(events.first, 3_000, 'push')).sessionRevoked).toMatchObject({ sessionId: second.session.id, reason: 'SESSION_LIMIT' });
    const listed = await gql<{ mySessions: Array<{ id: string }> }>(server, '{ mySessions { id } }', { token: fourth.accessToken });
    expect(listed.data!.mySessions.map((session) => session.id).sort()).toEqual([first.session.id, third.session.id, fourth.session.id].sort());
    expect((await eventsOf(server, fourth.accessToken)).filter((event) => event.type === 'SESSION_LIMIT_REACHED')).toEqual([
      { type: 'SESSION_LIMIT_REACHED', sessionId: second.session.id, actorSessionId: null },
    ]);
  });
});
