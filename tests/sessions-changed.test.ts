// mySessionsChanged: every device of a user hears of the user's new and ended sessions, and nobody else does.
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { gql, loginUser, signUpUser } from './helpers/graphql.js';
import { startMain, type MainProcess } from './helpers/process.js';
import { startTestServer, testDriver, type TestServer } from './helpers/server.js';
import { subscribeOver, waitFor, within, type ServerUnderTest, type SocketClient, type Subscription } from './helpers/ws.js';

const CHANGES = 'subscription { mySessionsChanged { type isNewDevice isNewDeviceSignIn reason session { id deviceName isCurrent location { countryCode } } } }';
type Change = {
  mySessionsChanged: { type: string; isNewDevice: boolean; isNewDeviceSignIn: boolean | null; reason: string | null; session: { id: string; deviceName: string; isCurrent: boolean } };
};

async function listen(server: ServerUnderTest, token: string, sockets: SocketClient[]) {
  return (await subscribeOver<Change>(server, token, CHANGES, sockets)).events;
}

/**
 * Signs the user in once more and waits until the listener hears of it: every change published
 * before has arrived by then, so what it heard can be checked as a whole.
 */
async function heardUpToNow(server: TestServer, email: string, changes: Subscription<Change>): Promise<string> {
  const marker = await loginUser(server, email, { device: { deviceId: 'marker' } });
  await waitFor(() => changes.values.some(({ mySessionsChanged }) => mySessionsChanged.session.id === marker.session.id), 'the marker sign-in');
  return marker.session.id;
}

describe('mySessionsChanged', () => {
  let server: TestServer;
  const sockets: SocketClient[] = [];
  beforeAll(async () => { server = await startTestServer(); });
  afterEach(async () => { await Promise.all(sockets.splice(0).map((socket) => socket.dispose())); });
  afterAll(async () => { await server.close(); });

  it('tells the other devices of a new sign-in, then of its end and why', async () => {
    const laptop = await signUpUser(server, { device: { deviceId: 'laptop' } });
    const changes = await listen(server, laptop.accessToken, sockets);

    const phone = await loginUser(server, laptop.user.email, { device: { deviceId: 'phone', deviceName: "Ada's phone" } });
    const created = (await within(changes.first, 3_000, 'CREATED')).mySessionsChanged;
    expect(created).toEqual({
      type: 'CREATED', isNewDevice: true, isNewDeviceSignIn: true, reason: null,
      session: { id: phone.session.id, deviceName: "Ada's phone", isCurrent: false, location: null },
    });

    await gql(server, 'mutation($id: ID!) { revokeSession(id: $id) }', { token: laptop.accessToken, variables: { id: phone.session.id } });
    const marker = await heardUpToNow(server, laptop.user.email, changes);
    expect(changes.values.map(({ mySessionsChanged: { type, session } }) => [type, session.id])).toEqual([
      ['CREATED', phone.session.id],
      ['REVOKED', phone.session.id],
      ['CREATED', marker],
    ]);
    expect(changes.values[1]!.mySessionsChanged).toMatchObject({ type: 'REVOKED', reason: 'REVOKED', isNewDeviceSignIn: null, isNewDevice: false, session: { id: phone.session.id } });
  });

  it('carries each ended session\'s own reason, and says a known device is not a new sign-in', async () => {
    const laptop = await signUpUser(server, { device: { deviceId: 'laptop' } });
    const changes = await listen(server, laptop.accessToken, sockets);
    const again = await loginUser(server, laptop.user.email, { device: { deviceId: 'laptop' } });
    await gql(server, 'mutation { logout }', { token: again.accessToken });
    await heardUpToNow(server, laptop.user.email, changes);
    expect(changes.values.slice(0, -1).map(({ mySessionsChanged: { type, isNewDeviceSignIn, reason } }) => ({ type, isNewDeviceSignIn, reason }))).toEqual([
      { type: 'CREATED', isNewDeviceSignIn: false, reason: null },
      { type: 'REVOKED', isNewDeviceSignIn: null, reason: 'LOGOUT' },
    ]);
  });

  // Regression: changes were batched by reason alone, so sessions the sweep ended at different
  // moments were all told the first one's endedAt.
  it('tells each session that ran out its own end, when one sweep ends several', async () => {
    const idle = await startTestServer({ SESSION_IDLE_TIMEOUT_SECONDS: '300' });
    try {
      const first = await signUpUser(idle);
      idle.clock.advance(100);
      const second = await loginUser(idle, first.user.email);
      idle.clock.advance(100);
      const listener = await loginUser(idle, first.user.email);
      const changes = (await subscribeOver<{ mySessionsChanged: { type: string; session: { id: string; endedAt: string } } }>(
        idle, listener.accessToken, 'subscription { mySessionsChanged { type session { id endedAt } } }', sockets)).events;
      idle.clock.advance(250);
      await idle.runJob('expirySweep');
      await waitFor(() => changes.values.length === 2, 'both EXPIRED changes');
      const endOf = (created: string) => new Date(new Date(created).getTime() + 300_000).toISOString();
      expect(Object.fromEntries(changes.values.map(({ mySessionsChanged: { session } }) => [session.id, session.endedAt]))).toEqual({
        [first.session.id]: endOf(first.session.createdAt),
        [second.session.id]: endOf(second.session.createdAt),
      });
    } finally {
      await Promise.all(sockets.splice(0).map((socket) => socket.dispose()));
      await idle.close();
    }
  });

  it("never tells one user of another user's sessions", async () => {
    const ada = await signUpUser(server);
    const changes = await listen(server, ada.accessToken, sockets);
    const grace = await signUpUser(server);
    await loginUser(server, grace.user.email);
    await gql(server, 'mutation { logout }', { token: grace.accessToken });
    const marker = await heardUpToNow(server, ada.user.email, changes);
    expect(changes.values.map(({ mySessionsChanged: { type, session } }) => [type, session.id])).toEqual([['CREATED', marker]]);
  });
});

describe.runIf(testDriver === 'postgres')('mySessionsChanged across instances', () => {
  const authSecret = randomBytes(32).toString('hex');
  let first: TestServer;
  let second: MainProcess;
  const sockets: SocketClient[] = [];
  beforeAll(async () => {
    first = await startTestServer({ AUTH_SECRET: authSecret });
    second = await startMain({ DATABASE_URL: first.databaseUrl!, AUTH_SECRET: authSecret });
  });
  afterAll(async () => {
    await Promise.all(sockets.splice(0).map((socket) => socket.dispose()));
    await second?.stop();
    await first?.close();
  });

  it('reaches a subscriber on the other instance', async () => {
    const laptop = await signUpUser(first);
    const changes = await listen(second, laptop.accessToken, sockets);
    const phone = await loginUser(first, laptop.user.email);
    expect((await within(changes.first, 3_000, 'CREATED across instances')).mySessionsChanged).toMatchObject({ type: 'CREATED', session: { id: phone.session.id } });
  });
});
