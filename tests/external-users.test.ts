// Sessions for an app that signs its users in itself: its backend asks for them with issueSession.
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from './helpers/db.js';
import { placeInData } from './helpers/geo-data.js';
import { gql, ISSUE_SESSION, issueSessionFor, PASSWORD, signUpUser, uniqueEmail } from './helpers/graphql.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { SESSION_REVOKED, subscribeOver, within, type SocketClient } from './helpers/ws.js';
import { newServiceKey } from './helpers/service-keys.js';
import { IPHONE_SAFARI } from './helpers/user-agents.js';

const CHROME_HINTS = {
  secChUaFullVersionList: '"Chromium";v="124.0.6367.91", "Google Chrome";v="124.0.6367.91", "Not-A.Brand";v="99.0.0.0"',
  secChUaPlatform: '"Windows"',
  secChUaPlatformVersion: '"15.0.0"',
  secChUaMobile: '?0',
};

describe('issueSession', () => {
  let server: TestServer;
  let issuer: string;
  const sockets: SocketClient[] = [];
  const countRows = async (table: 'users' | 'sessions') => Number((await queryRows<{ n: string }>(server.database, sql`SELECT count(*) AS n FROM ${sql.identifier(table)}`))[0]!.n);

  beforeAll(async () => {
    server = await startTestServer();
    issuer = await newServiceKey(server, 'web-backend', ['sessions:issue']);
  });
  afterEach(async () => { await Promise.all(sockets.splice(0).map((socket) => socket.dispose())); });
  afterAll(async () => { await server.close(); });

  it('creates the user on first sight, and a session from the device the backend forwards', async () => {
    const lagos = (await placeInData('105.112.34.56'))!;
    const issued = await issueSessionFor(server, issuer, { externalId: 'auth0|ada', email: ' Ada@Example.com ', ipAddress: '105.112.34.56', userAgent: IPHONE_SAFARI });
    expect(issued.user).toMatchObject({ externalId: 'auth0|ada', email: 'ada@example.com' });
    expect(issued.session).toMatchObject({ ipAddress: '105.112.34.56', deviceType: 'MOBILE', os: 'iOS 17.4', userAgent: IPHONE_SAFARI, isCurrent: true });
    expect(issued.isNewDevice).toBe(true);
    const { data } = await gql(server, '{ me { id externalId } mySessions { id location { city countryCode } } }', { token: issued.accessToken });
    expect(data).toEqual({ me: { id: issued.user.id, externalId: 'auth0|ada' }, mySessions: [{ id: issued.session.id, location: { city: lagos.city, countryCode: lagos.countryCode } }] });

    // The same id again: the same user, a second session, the email kept when none is given.
    const again = await issueSessionFor(server, issuer, { externalId: 'auth0|ada', clientHints: CHROME_HINTS, ipAddress: '::ffff:105.112.34.56' });
    expect(again.user).toEqual(issued.user);
    expect(again.session).toMatchObject({ deviceName: 'Chrome 124 on Windows 11', ipAddress: '105.112.34.56' });
    // Without an address the session has none: never the backend's own.
    expect((await issueSessionFor(server, issuer, { externalId: 'auth0|ada' })).session).toMatchObject({ ipAddress: null, userAgent: null });
  });

  it('records LOGGED_IN with the key as the actor, and tells the user\'s other devices', async () => {
    const first = await issueSessionFor(server, issuer, { externalId: 'github|grace' });
    const { events: changes } = await subscribeOver<{ mySessionsChanged: { type: string; session: { id: string } } }>(
      server, first.accessToken, 'subscription { mySessionsChanged { type session { id } } }', sockets);
    const second = await issueSessionFor(server, issuer, { externalId: 'github|grace', device: { deviceName: 'Work laptop' } });
    expect((await within(changes.first, 3_000, 'CREATED')).mySessionsChanged).toEqual({ type: 'CREATED', session: { id: second.session.id } });

    const { data } = await gql(server, '{ mySecurityEvents(first: 5) { edges { node { type sessionId actorServiceKey deviceName } } } }', { token: second.accessToken });
    expect(data!.mySecurityEvents.edges.map(({ node }: { node: unknown }) => node)).toEqual([
      { type: 'LOGGED_IN', sessionId: second.session.id, actorServiceKey: 'web-backend', deviceName: 'Work laptop' },
      { type: 'LOGGED_IN', sessionId: first.session.id, actorServiceKey: 'web-backend', deviceName: first.session.deviceName },
    ]);
  });

  it('gives the frontend ordinary tokens: refresh, revocation, and the push to the signed-out device', async () => {
    const phone = await issueSessionFor(server, issuer, { externalId: 'oidc|linus', userAgent: IPHONE_SAFARI });
    const laptop = await issueSessionFor(server, issuer, { externalId: 'oidc|linus' });
    const { events: revoked } = await subscribeOver(server, phone.accessToken, SESSION_REVOKED, sockets);

    const refreshed = await gql(server, 'mutation($t: String) { refreshSession(refreshToken: $t) { accessToken session { id } } }', { variables: { t: phone.refreshToken } });
    expect(refreshed.data!.refreshSession.session.id).toBe(phone.session.id);
    // A fresh session may end the user's others, as after a login.
    expect((await gql(server, 'mutation($id: ID!) { revokeSession(id: $id) }', { token: laptop.accessToken, variables: { id: phone.session.id } })).data).toEqual({ revokeSession: true });
    expect(await within(revoked.first, 3_000, 'sessionRevoked')).toMatchObject({ sessionRevoked: { sessionId: phone.session.id, reason: 'REVOKED' } });
  });

  it('never lets an external user log in or prove a password', async () => {
    const issued = await issueSessionFor(server, issuer, { externalId: 'auth0|nopass', email: 'nopass@example.com' });
    const login = await gql(server, 'mutation($i: LoginInput!) { login(input: $i) { accessToken } }', { variables: { i: { email: 'nopass@example.com', password: PASSWORD } } });
    expect(login.code).toBe('INVALID_CREDENTIALS');
    const withoutEmail = await issueSessionFor(server, issuer, { externalId: 'auth0|noemail' });
    expect(withoutEmail.user.email).toBeNull();
    for (const token of [issued.accessToken, withoutEmail.accessToken]) {
      expect((await gql(server, 'mutation { reauthenticate(password: "anything at all") }', { token })).code).toBe('INVALID_CREDENTIALS');
    }
  });

  it('refuses an email another account has (EMAIL_TAKEN), bad input (BAD_USER_INPUT), and writes nothing', async () => {
    const member = await signUpUser(server);
    const [users, sessions] = [await countRows('users'), await countRows('sessions')];
    const taken = await gql(server, ISSUE_SESSION, { token: issuer, variables: { input: { externalId: 'auth0|taken', email: member.user.email } } });
    expect(taken.code).toBe('EMAIL_TAKEN');

    const bad = await gql(server, ISSUE_SESSION, {
      token: issuer,
      variables: { input: { externalId: '', email: 'not an email', ipAddress: '300.1.1.1', userAgent: 'x'.repeat(2049), clientHints: { secChUa: 'y'.repeat(513) } } },
    });
    expect(bad.code).toBe('BAD_USER_INPUT');
    expect(bad.errors![0]!.extensions!.fields).toEqual(['input.externalId', 'input.email', 'input.ipAddress', 'input.userAgent', 'input.clientHints.secChUa']);
    const tooLong = await gql(server, ISSUE_SESSION, { token: issuer, variables: { input: { externalId: 'x'.repeat(256) } } });
    expect(tooLong.errors![0]!.extensions!.fields).toEqual(['input.externalId']);
    expect([await countRows('users'), await countRows('sessions')]).toEqual([users, sessions]);
  });

  it('is a backend\'s alone: UNAUTHENTICATED without a key, FORBIDDEN for a user or a key without sessions:issue', async () => {
    const reader = await newServiceKey(server, 'reader', ['sessions:admin']);
    const member = await signUpUser(server);
    const input = { externalId: 'auth0|intruder' };
    const anonymous = await gql(server, ISSUE_SESSION, { variables: { input } });
    expect([anonymous.status, anonymous.code]).toEqual([401, 'UNAUTHENTICATED']);
    const asUser = await gql(server, ISSUE_SESSION, { token: member.accessToken, variables: { input } });
    expect([asUser.status, asUser.code]).toEqual([403, 'FORBIDDEN']);
    const unscoped = await gql(server, ISSUE_SESSION, { token: reader, variables: { input } });
    expect([unscoped.status, unscoped.code, unscoped.errors![0]!.message]).toEqual([403, 'FORBIDDEN', 'The service key "reader" lacks sessions:issue.']);
    expect(await queryRows(server.database, sql`SELECT 1 FROM users WHERE external_id = 'auth0|intruder'`)).toEqual([]);
  });

  it('makes one user of fifty first sessions at once', async () => {
    const email = uniqueEmail();
    const issued = await Promise.all(Array.from({ length: 50 }, () => issueSessionFor(server, issuer, { externalId: 'saml|crowd', email })));
    expect(new Set(issued.map(({ user }) => user.id)).size).toBe(1);
    expect(new Set(issued.map(({ session }) => session.id)).size).toBe(50);
  });
});
