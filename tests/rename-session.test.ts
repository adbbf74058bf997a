// renameSession: a user names their devices; every device of theirs sees the new name at once.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { gql, loginUser, signUpUser } from './helpers/graphql.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { subscribeOver, within, type SocketClient } from './helpers/ws.js';
import { IPHONE_SAFARI } from './helpers/user-agents.js';

const RENAME = 'mutation($id: ID!, $name: String!) { renameSession(id: $id, name: $name) { id deviceName deviceLabel isCurrent } }';
const CHANGES = 'subscription { mySessionsChanged { type reason isNewDeviceSignIn session { id deviceName deviceLabel } } }';

describe('renameSession', () => {
  let server: TestServer;
  const sockets: SocketClient[] = [];
  beforeAll(async () => { server = await startTestServer(); });
  afterEach(async () => { await Promise.all(sockets.splice(0).map((socket) => socket.dispose())); });
  afterAll(async () => { await server.close(); });

  it('names another device or this one, keeps the label, records it, and tells every device of the user', async () => {
    const laptop = await signUpUser(server);
    const phone = await loginUser(server, laptop.user.email, {}, { 'user-agent': IPHONE_SAFARI });
    const onLaptop = (await subscribeOver<{ mySessionsChanged: unknown }>(server, laptop.accessToken, CHANGES, sockets)).events;
    const onPhone = (await subscribeOver<{ mySessionsChanged: unknown }>(server, phone.accessToken, CHANGES, sockets)).events;

    const renamed = await gql(server, RENAME, { token: laptop.accessToken, variables: { id: phone.session.id, name: "  Ada's phone " } });
    expect(renamed.data!.renameSession).toEqual({ id: phone.session.id, deviceName: "Ada's phone", deviceLabel: phone.session.deviceName, isCurrent: false });
    const change = { type: 'RENAMED', reason: null, isNewDeviceSignIn: null, session: { id: phone.session.id, deviceName: "Ada's phone", deviceLabel: phone.session.deviceName } };
    expect((await within(onLaptop.first, 3_000, 'RENAMED on the laptop')).mySessionsChanged).toEqual(change);
    expect((await within(onPhone.first, 3_000, 'RENAMED on the phone')).mySessionsChanged).toEqual(change);

    const own = await gql(server, RENAME, { token: laptop.accessToken, variables: { id: laptop.session.id, name: 'Work laptop' } });
    expect(own.data!.renameSession).toMatchObject({ deviceName: 'Work laptop', isCurrent: true });
    const { data } = await gql(server, '{ mySessions { id deviceName } mySecurityEvents(first: 2) { edges { node { type sessionId actorSessionId deviceName } } } }', { token: laptop.accessToken });
    expect(data!.mySessions).toEqual(expect.arrayContaining([{ id: phone.session.id, deviceName: "Ada's phone" }, { id: laptop.session.id, deviceName: 'Work laptop' }]));
    expect(data!.mySecurityEvents.edges.map(({ node }: { node: unknown }) => node)).toEqual([
      { type: 'SESSION_RENAMED', sessionId: laptop.session.id, actorSessionId: null, deviceName: 'Work laptop' },
      { type: 'SESSION_RENAMED', sessionId: phone.session.id, actorSessionId: laptop.session.id, deviceName: "Ada's phone" },
    ]);
  });

  it('finds no one else\'s session and no ended one (NOT_FOUND), refuses a blank or long name, and changes nothing', async () => {
    const ada = await signUpUser(server);
    const grace = await signUpUser(server);
    const ended = await loginUser(server, ada.user.email);
    await gql(server, 'mutation { logout }', { token: ended.accessToken });
    for (const id of [grace.session.id, ended.session.id]) {
      expect((await gql(server, RENAME, { token: ada.accessToken, variables: { id, name: 'Mine now' } })).code).toBe('NOT_FOUND');
    }
    for (const name of ['   ', 'x'.repeat(256)]) {
      const refused = await gql(server, RENAME, { token: ada.accessToken, variables: { id: ada.session.id, name } });
      expect([refused.code, refused.errors![0]!.extensions!.field]).toEqual(['BAD_USER_INPUT', 'name']);
    }
    expect((await gql(server, RENAME, { token: undefined, variables: { id: ada.session.id, name: 'x' } })).code).toBe('UNAUTHENTICATED');
    const { data } = await gql(server, '{ mySessions { deviceName } }', { token: grace.accessToken });
    expect(data!.mySessions).toEqual([{ deviceName: grace.session.deviceName }]);
    expect((await gql(server, '{ mySessions { deviceName } }', { token: ada.accessToken })).data!.mySessions).toEqual([{ deviceName: ada.session.deviceName }]);
  });
});
