// The reference merge request's "How to Test" walk-through, over GraphQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, loginUser, MY_SESSIONS, signUpUser } from './helpers/graphql.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const CHROME_ON_LINUX = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';

describe('session management walk-through', () => {
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer(); });
  afterAll(async () => { await server.close(); });

  it('lists, revokes one, rejects its token, and revokes the others', async () => {
    const first = await signUpUser(server);
    const device = { os: 'Linux', browser: 'Chrome 124', cpuCores: 8, ramGb: 8, internetSpeedMbps: 45.2 };
    const laptop = await loginUser(server, first.user.email, { device }, { 'user-agent': CHROME_ON_LINUX });
    const phone = await loginUser(server, first.user.email);

    const listed = await gql(server, MY_SESSIONS, { token: laptop.accessToken });
    expect(listed.status).toBe(200);
    const sessions = listed.data!.mySessions;
    expect(sessions).toHaveLength(3);
    expect(sessions[0]).toMatchObject({
      id: laptop.session.id,
      isCurrent: true,
      os: 'Linux',
      browser: 'Chrome 124',
      deviceName: 'Chrome 124 on Linux',
      cpuCores: 8,
      ramGb: 8,
      internetSpeedMbps: 45.2,
      ipAddress: '127.0.0.1',
    });
    expect(sessions.filter((s: { isCurrent: boolean }) => s.isCurrent)).toHaveLength(1);

    const revoked = await gql(server, 'mutation($id: ID!) { revokeSession(id: $id) }', { token: laptop.accessToken, variables: { id: phone.session.id } });
    expect(revoked.data).toEqual({ revokeSession: true });

    const rejected = await gql(server, '{ me { id } }', { token: phone.accessToken });
    expect(rejected.status).toBe(401);
    expect(rejected.code).toBe('UNAUTHENTICATED');

    const others = await gql(server, 'mutation { revokeOtherSessions }', { token: laptop.accessToken });
    expect(others.data).toEqual({ revokeOtherSessions: 1 });

    const remaining = await gql(server, MY_SESSIONS, { token: laptop.accessToken });
    expect(remaining.data!.mySessions.map((s: { id: string }) => s.id)).toEqual([laptop.session.id]);
    expect((await gql(server, '{ me { id } }', { token: first.accessToken })).status).toBe(401);
  });

  it('orders sessions current first, then by last activity', async () => {
    const owner = await signUpUser(server);
    const older = await loginUser(server, owner.user.email);
    server.clock.advance(120);
    const newer = await loginUser(server, owner.user.email);
    server.clock.advance(120);
    const listed = await gql(server, '{ mySessions { id isCurrent } }', { token: older.accessToken });
    expect(listed.data!.mySessions).toEqual([
      { id: older.session.id, isCurrent: true },
      { id: newer.session.id, isCurrent: false },
      { id: owner.session.id, isCurrent: false },
    ]);
  });

  it('ends every session, the current one included, with revokeAllSessions', async () => {
    const owner = await signUpUser(server);
    await loginUser(server, owner.user.email);
    const all = await gql(server, 'mutation { revokeAllSessions }', { token: owner.accessToken });
    expect(all.data).toEqual({ revokeAllSessions: 2 });
    expect((await gql(server, MY_SESSIONS, { token: owner.accessToken })).code).toBe('UNAUTHENTICATED');
  });

  it('ends the current session with logout, leaving the others', async () => {
    const owner = await signUpUser(server);
    const other = await loginUser(server, owner.user.email);
    expect((await gql(server, 'mutation { logout }', { token: owner.accessToken })).data).toEqual({ logout: true });
    expect((await gql(server, '{ me { id } }', { token: owner.accessToken })).status).toBe(401);
    const listed = await gql(server, '{ mySessions { id } }', { token: other.accessToken });
    expect(listed.data!.mySessions).toEqual([{ id: other.session.id }]);
  });
});
