// Ending other sessions needs a recent password check; changing the password ends the others.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { gql, loginUser, PASSWORD, signUpUser } from './helpers/graphql.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { SESSION_REVOKED, subscribeOver, within, type SessionRevokedEvent, type SocketClient } from './helpers/ws.js';

const FRESH_AUTH_SECONDS = 600;
const REVOKE = 'mutation($id: ID!) { revokeSession(id: $id) }';
const SESSION_IDS = '{ mySessions { id } }';

describe('sudo mode', () => {
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer({ FRESH_AUTH_SECONDS: String(FRESH_AUTH_SECONDS) }); });
  afterAll(async () => { await server.close(); });

  const sessionIds = async (token: string) => (await gql<{ mySessions: Array<{ id: string }> }>(server, SESSION_IDS, { token })).data!.mySessions.map((s) => s.id).sort();

  it('refuses to end other sessions once the login is older than FRESH_AUTH_SECONDS, and changes nothing', async () => {
    const me = await signUpUser(server);
    const other = await loginUser(server, me.user.email);
    server.clock.advance(FRESH_AUTH_SECONDS + 1);
    const before = await sessionIds(me.accessToken);

    for (const [query, variables] of [[REVOKE, { id: other.session.id }], ['mutation { revokeOtherSessions }', {}], ['mutation { revokeAllSessions }', {}]] as const) {
      const result = await gql(server, query, { token: me.accessToken, variables });
      expect(result.code).toBe('REAUTHENTICATION_REQUIRED');
    }
    expect(await sessionIds(me.accessToken)).toEqual(before);
    // Ending one's own current session never needs it.
    expect((await gql(server, REVOKE, { token: other.accessToken, variables: { id: other.session.id } })).data).toEqual({ revokeSession: true });
  });

  it('lets reauthenticate with the right password open sudo mode, and records it', async () => {
    const me = await signUpUser(server);
    const other = await loginUser(server, me.user.email);
    server.clock.advance(FRESH_AUTH_SECONDS + 1);

    const wrong = await gql(server, 'mutation($p: String!) { reauthenticate(password: $p) }', { token: me.accessToken, variables: { p: 'not the password' } });
    expect(wrong.code).toBe('INVALID_CREDENTIALS');
    expect((await gql(server, REVOKE, { token: me.accessToken, variables: { id: other.session.id } })).code).toBe('REAUTHENTICATION_REQUIRED');

    const right = await gql(server, 'mutation($p: String!) { reauthenticate(password: $p) }', { token: me.accessToken, variables: { p: PASSWORD } });
    expect(right.data).toEqual({ reauthenticate: true });
    expect((await gql(server, REVOKE, { token: me.accessToken, variables: { id: other.session.id } })).data).toEqual({ revokeSession: true });

    const events = await gql(server, '{ mySecurityEvents { edges { node { type sessionId actorSessionId } } } }', { token: me.accessToken });
    const types = events.data!.mySecurityEvents.edges.map((edge: { node: { type: string } }) => edge.node.type);
    expect(types.slice(0, 3)).toEqual(['SESSION_REVOKED', 'REAUTHENTICATED', 'LOGIN_FAILED']);
    expect(events.data!.mySecurityEvents.edges[0].node).toEqual({ type: 'SESSION_REVOKED', sessionId: other.session.id, actorSessionId: me.session.id });
  });

  it('refuses an empty or over-long password to reauthenticate with BAD_USER_INPUT', async () => {
    const me = await signUpUser(server);
    for (const p of ['', 'x'.repeat(1025)]) {
      expect((await gql(server, 'mutation($p: String!) { reauthenticate(password: $p) }', { token: me.accessToken, variables: { p } })).code).toBe('BAD_USER_INPUT');
    }
  });
});

describe('changePassword', () => {
  let server: TestServer;
  const sockets: SocketClient[] = [];
  beforeAll(async () => { server = await startTestServer(); });
  afterEach(async () => { await Promise.all(sockets.splice(0).map((socket) => socket.dispose())); });
  afterAll(async () => { await server.close(); });

  const CHANGE = 'mutation($c: String!, $n: String!, $s: Boolean) { changePassword(currentPassword: $c, newPassword: $n, signOutOtherSessions: $s) }';
  const NEW_PASSWORD = 'a brand new passphrase';

  it('needs the current password and a valid new one; nothing changes otherwise', async () => {
    const me = await signUpUser(server);
    expect((await gql(server, CHANGE, { token: me.accessToken, variables: { c: 'wrong password', n: NEW_PASSWORD } })).code).toBe('INVALID_CREDENTIALS');
    expect((await gql(server, CHANGE, { token: me.accessToken, variables: { c: PASSWORD, n: 'short' } })).code).toBe('BAD_USER_INPUT');
    expect((await gql(server, CHANGE, { token: me.accessToken, variables: { c: '', n: NEW_PASSWORD } })).code).toBe('BAD_USER_INPUT');
    await loginUser(server, me.user.email);
  });

  it('replaces the password and ends every other session with PASSWORD_CHANGED, pushed', async () => {
    const me = await signUpUser(server);
    const other = await loginUser(server, me.user.email);
    const { events } = await subscribeOver<{ sessionRevoked: SessionRevokedEvent }>(server, other.accessToken, SESSION_REVOKED, sockets);

    expect((await gql(server, CHANGE, { token: me.accessToken, variables: { c: PASSWORD, n: NEW_PASSWORD } })).data).toEqual({ changePassword: true });
    expect((await within(events.first, 3_000, 'push')).sessionRevoked).toMatchObject({ sessionId: other.session.id, reason: 'PASSWORD_CHANGED' });
    expect((await gql(server, '{ me { id } }', { token: me.accessToken })).status).toBe(200);
    await expect(loginUser(server, me.user.email)).rejects.toThrow(/INVALID_CREDENTIALS/);
    await loginUser(server, me.user.email, { password: NEW_PASSWORD });
    const types = (await gql(server, '{ mySecurityEvents(first: 10) { edges { node { type } } } }', { token: me.accessToken }))
      .data!.mySecurityEvents.edges.map((edge: { node: { type: string } }) => edge.node.type);
    expect(types).toContain('PASSWORD_CHANGED');
  });

  it('keeps the other sessions with signOutOtherSessions: false', async () => {
    const me = await signUpUser(server);
    const other = await loginUser(server, me.user.email);
    expect((await gql(server, CHANGE, { token: me.accessToken, variables: { c: PASSWORD, n: NEW_PASSWORD, s: false } })).data).toEqual({ changePassword: true });
    expect((await gql(server, '{ me { id } }', { token: other.accessToken })).status).toBe(200);
  });
});
