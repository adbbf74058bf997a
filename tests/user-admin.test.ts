// The admin API: an app's backend reads and ends any user's sessions with a service key.
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from './helpers/db.js';
import { placeInData } from './helpers/geo-data.js';
import { gql, issueSessionFor, signUpUser } from './helpers/graphql.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { SESSION_REVOKED, subscribeOver, within, type SocketClient } from './helpers/ws.js';
import { newServiceKey } from './helpers/service-keys.js';
import { IPHONE_SAFARI, MAC_CHROME } from './helpers/user-agents.js';

const LAGOS_IP = '105.112.34.56';
const OTHER_IP = '8.8.8.8';

const USER_SESSIONS = `query($userId: ID, $externalId: String, $includeEnded: Boolean, $first: Int, $after: String) {
  userSessions(userId: $userId, externalId: $externalId, includeEnded: $includeEnded, first: $first, after: $after) {
    edges { cursor node { id deviceName deviceType ipAddress isCurrent endedAt endReason location { countryCode } } }
    pageInfo { hasNextPage hasPreviousPage endCursor }
  }
}`;
const REVOKE = 'mutation($where: UserSessionsWhere!, $reason: String) { revokeUserSessions(where: $where, reason: $reason) }';
const USER_EVENTS = `query($externalId: String, $userId: ID) { userSecurityEvents(externalId: $externalId, userId: $userId, first: 10) {
  edges { node { type sessionId actorServiceKey note } } } }`;

describe('the admin API', () => {
  let server: TestServer;
  let issuer: string;
  let support: string;
  const sockets: SocketClient[] = [];
  let user = 0;
  /** A user of the app's own sign-in with a phone in Lagos and a laptop elsewhere, signed in in that order. */
  async function externalUser() {
    const externalId = `auth0|admin-${++user}`;
    const phone = await issueSessionFor(server, issuer, { externalId, userAgent: IPHONE_SAFARI, ipAddress: LAGOS_IP });
    server.clock.advance(60);
    const laptop = await issueSessionFor(server, issuer, { externalId, userAgent: MAC_CHROME, ipAddress: OTHER_IP });
    return { externalId, phone, laptop };
  }

  beforeAll(async () => {
    server = await startTestServer();
    issuer = await newServiceKey(server, 'web-backend', ['sessions:issue']);
    support = await newServiceKey(server, 'support', ['sessions:admin']);
  });
  afterEach(async () => { await Promise.all(sockets.splice(0).map((socket) => socket.dispose())); });
  afterAll(async () => { await server.close(); });

  it('lists a user\'s live sessions newest first, by either id, in pages; with includeEnded, the ended ones and why', async () => {
    const { externalId, phone, laptop } = await externalUser();
    await gql(server, 'mutation { logout }', { token: phone.accessToken });
    const live = await gql(server, USER_SESSIONS, { token: support, variables: { externalId } });
    expect(live.data!.userSessions.edges.map(({ node }: { node: unknown }) => node)).toEqual([
      { id: laptop.session.id, deviceName: laptop.session.deviceName, deviceType: 'DESKTOP', ipAddress: OTHER_IP, isCurrent: false, endedAt: null, endReason: null, location: { countryCode: (await placeInData(OTHER_IP))!.countryCode } },
    ]);

    const first = await gql(server, USER_SESSIONS, { token: support, variables: { userId: phone.user.id, includeEnded: true, first: 1 } });
    expect(first.data!.userSessions.edges.map(({ node }: { node: { id: string } }) => node.id)).toEqual([laptop.session.id]);
    expect(first.data!.userSessions.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const second = await gql(server, USER_SESSIONS, { token: support, variables: { userId: phone.user.id, includeEnded: true, first: 1, after: first.data!.userSessions.pageInfo.endCursor } });
    expect(second.data!.userSessions.edges.map(({ node }: { node: unknown }) => node)).toEqual([
      expect.objectContaining({ id: phone.session.id, deviceType: 'MOBILE', endReason: 'LOGOUT', endedAt: server.clock.now().toISOString() }),
    ]);
    expect(second.data!.userSessions.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });

    // A user this server never saw has no sessions; a bad cursor is bad input.
    expect((await gql(server, USER_SESSIONS, { token: support, variables: { externalId: 'auth0|nobody' } })).data!.userSessions.edges).toEqual([]);
    expect((await gql(server, USER_SESSIONS, { token: support, variables: { externalId, after: 'bm9wZQ' } })).code).toBe('BAD_USER_INPUT');
  });

  it('ends the sessions that match every condition, tells the device at once, and shows the user who did it and why', async () => {
    const { externalId, phone, laptop } = await externalUser();
    const { events: pushed } = await subscribeOver(server, phone.accessToken, SESSION_REVOKED, sockets);
    const { events: changes } = await subscribeOver<{ mySessionsChanged: unknown }>(
      server, laptop.accessToken, 'subscription { mySessionsChanged { type reason session { id endedAt endReason } } }', sockets);
    const lagos = (await placeInData(LAGOS_IP))!.countryCode;
    // Conditions that match nothing end nothing.
    for (const where of [{ deviceType: 'TABLET' }, { countryCode: 'AQ' }, { createdBefore: phone.session.createdAt }, { lastActiveBefore: phone.session.createdAt }, { sessionIds: [] }]) {
      expect((await gql(server, REVOKE, { token: support, variables: { where: { externalId, ...where } } })).data, JSON.stringify(where)).toEqual({ revokeUserSessions: 0 });
    }
    const revoked = await gql(server, REVOKE, {
      token: support,
      variables: { where: { externalId, deviceType: 'MOBILE', countryCode: lagos.toLowerCase(), createdBefore: laptop.session.createdAt }, reason: 'Lost phone, reported to support' },
    });
    expect(revoked.data).toEqual({ revokeUserSessions: 1 });
    expect(await within(pushed.first, 3_000, 'sessionRevoked')).toMatchObject({ sessionRevoked: { sessionId: phone.session.id, reason: 'REVOKED' } });
    expect((await gql(server, '{ me { id } }', { token: phone.accessToken })).code).toBe('UNAUTHENTICATED');
    expect((await within(changes.first, 3_000, 'mySessionsChanged')).mySessionsChanged).toEqual({
      type: 'REVOKED', reason: 'REVOKED', session: { id: phone.session.id, endedAt: server.clock.now().toISOString(), endReason: 'REVOKED' },
    });

    const { data } = await gql(server, '{ mySecurityEvents(first: 1) { edges { node { type sessionId actorSessionId actorServiceKey note } } } }', { token: laptop.accessToken });
    expect(data!.mySecurityEvents.edges[0].node).toEqual({
      type: 'SESSION_REVOKED', sessionId: phone.session.id, actorSessionId: null, actorServiceKey: 'support', note: 'Lost phone, reported to support',
    });
    const events = await gql(server, USER_EVENTS, { token: support, variables: { externalId } });
    expect(events.data!.userSecurityEvents.edges.map(({ node }: { node: { type: string } }) => node.type)).toEqual(['SESSION_REVOKED', 'LOGGED_IN', 'LOGGED_IN']);

    // With the user alone, every live session ends.
    expect((await gql(server, REVOKE, { token: support, variables: { where: { userId: laptop.user.id } } })).data).toEqual({ revokeUserSessions: 1 });
    expect((await gql(server, REVOKE, { token: support, variables: { where: { userId: laptop.user.id } } })).data).toEqual({ revokeUserSessions: 0 });
  });

  it('never reaches past the named user', async () => {
    const ada = await externalUser();
    const grace = await signUpUser(server);
    const crossed = await gql(server, REVOKE, { token: support, variables: { where: { externalId: ada.externalId, sessionIds: [grace.session.id] } } });
    expect(crossed.data).toEqual({ revokeUserSessions: 0 });
    expect((await gql(server, REVOKE, { token: support, variables: { where: { externalId: 'auth0|nobody' } } })).data).toEqual({ revokeUserSessions: 0 });
    expect((await gql(server, '{ me { id } }', { token: grace.accessToken })).data).toEqual({ me: { id: grace.user.id } });
    expect((await gql(server, USER_SESSIONS, { token: support, variables: { externalId: ada.externalId } })).data!.userSessions.edges).toHaveLength(2);
  });

  it('ends each session once when fifty revocations race', async () => {
    const { externalId } = await externalUser();
    const counts = await Promise.all(Array.from({ length: 50 }, () => gql(server, REVOKE, { token: support, variables: { where: { externalId } } })));
    expect(counts.reduce((sum, { data }) => sum + data!.revokeUserSessions, 0)).toBe(2);
    const [row] = await queryRows<{ n: string }>(server.database, sql`
      SELECT count(*) AS n FROM security_events e JOIN users u ON u.id = e.user_id WHERE u.external_id = ${externalId} AND e.type = 'SESSION_REVOKED'`);
    expect(Number(row!.n)).toBe(2);
  });

  it('needs the scope for each field, and refuses users, bad input and an unclear user without writing', async () => {
    const { externalId, phone } = await externalUser();
    const reader = await newServiceKey(server, 'reader', ['sessions:read']);
    const revoker = await newServiceKey(server, 'revoker', ['sessions:revoke']);
    const where = { externalId };
    const attempts = [
      [reader, REVOKE, { where }, 'FORBIDDEN'],
      [revoker, USER_SESSIONS, { externalId }, 'FORBIDDEN'],
      [revoker, USER_EVENTS, { externalId }, 'FORBIDDEN'],
      [phone.accessToken, REVOKE, { where }, 'FORBIDDEN'],
      [phone.accessToken, USER_SESSIONS, { externalId }, 'FORBIDDEN'],
      [undefined, REVOKE, { where }, 'UNAUTHENTICATED'],
      [support, REVOKE, { where: {} }, 'BAD_USER_INPUT'],
      [support, REVOKE, { where: { externalId, userId: phone.user.id } }, 'BAD_USER_INPUT'],
      [support, REVOKE, { where: { externalId, sessionIds: ['not-a-uuid'] } }, 'BAD_USER_INPUT'],
      [support, REVOKE, { where: { externalId, countryCode: 'NGA' } }, 'BAD_USER_INPUT'],
      [support, REVOKE, { where, reason: 'x'.repeat(501) }, 'BAD_USER_INPUT'],
      [support, USER_SESSIONS, { userId: 'not-a-uuid' }, 'BAD_USER_INPUT'],
      [support, USER_EVENTS, {}, 'BAD_USER_INPUT'],
    ] as const;
    for (const [token, query, variables, code] of attempts) {
      expect((await gql(server, query, { token, variables })).code, `${code} for ${JSON.stringify(variables)}`).toBe(code);
    }
    const bad = await gql(server, REVOKE, { token: support, variables: { where: {} } });
    expect(bad.errors![0]!.extensions).toMatchObject({ field: 'where.userId' });
    expect(bad.errors![0]!.message).toBe('Give exactly one of where.userId and where.externalId');
    expect((await gql(server, '{ me { id } }', { token: phone.accessToken })).data).toEqual({ me: { id: phone.user.id } });
  });
});
