// Revocations reach sockets on other instances and survive a dropped listener; shutdown says "going away".
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LISTENER_APPLICATION_NAME } from '../src/db/listener.js';
import { testBus } from './helpers/bus.js';
import { databaseOutage } from './helpers/db.js';
import { gql, loginUser, signUpUser } from './helpers/graphql.js';
import { migratedDataDir, startMain, type MainProcess } from './helpers/process.js';
import { startTestServer, testDriver, type TestServer } from './helpers/server.js';
import { startTcpProxy } from './helpers/tcp-proxy.js';
import { connectSocket, SESSION_REVOKED, waitFor, whenSubscribed, within, type SessionRevokedEvent } from './helpers/ws.js';

describe.runIf(testDriver === 'postgres')('two instances sharing one Postgres', () => {
  const authSecret = randomBytes(32).toString('hex');
  let first: TestServer;
  let second: MainProcess;
  beforeAll(async () => {
    first = await startTestServer({ AUTH_SECRET: authSecret });
    second = await startMain({ DATABASE_URL: first.databaseUrl!, AUTH_SECRET: authSecret });
  });
  afterAll(async () => {
    await second?.stop();
    await first?.close();
  });

  it('a revocation made on one instance reaches the subscriber on the other', async () => {
    const laptop = await signUpUser(first);
    const phone = await loginUser(first, laptop.user.email);
    const socket = connectSocket(second.url, phone.accessToken);
    await socket.acknowledged;
    const events = socket.subscribe<{ sessionRevoked: SessionRevokedEvent }>(SESSION_REVOKED);
    await whenSubscribed(second, phone.session.id);

    await gql(first, 'mutation($id: ID!) { revokeSession(id: $id) }', { token: laptop.accessToken, variables: { id: phone.session.id } });
    expect((await within(events.first, 3_000, 'event across instances')).sessionRevoked).toMatchObject({ sessionId: phone.session.id, reason: 'REVOKED' });
    expect((await within(socket.closed, 3_000, 'close')).code).toBe(4401);
  });

  it('fans a revokeAllSessions out to every socket of the user, on both instances', async () => {
    const admin = await signUpUser(first);
    // One at a time: logins in flight count against the throttle's budget.
    const devices = [];
    for (let i = 0; i < 30; i += 1) devices.push(await loginUser(first, admin.user.email));
    const sockets = devices.map((device, i) => {
      const socket = connectSocket(i % 2 === 0 ? first.url : second.url, device.accessToken);
      return { socket, events: socket.subscribe<{ sessionRevoked: SessionRevokedEvent }>(SESSION_REVOKED), sessionId: device.session.id };
    });
    await Promise.all(sockets.map(({ socket }) => socket.acknowledged));
    await Promise.all(sockets.map(({ sessionId }, i) => whenSubscribed(i % 2 === 0 ? first : second, sessionId)));

    const revoked = await gql(first, 'mutation { revokeAllSessions }', { token: admin.accessToken });
    expect(revoked.data).toEqual({ revokeAllSessions: 31 });
    for (const { socket, events, sessionId } of sockets) {
      expect((await within(events.first, 3_000, 'event')).sessionRevoked).toMatchObject({ sessionId, reason: 'REVOKED' });
      expect((await within(socket.closed, 3_000, 'close')).code).toBe(4401);
    }
  });
});

describe.runIf(testDriver === 'postgres')('a dropped session event listener', () => {
  let server: TestServer;
  // On Postgres the listening connection is ended and kept out; on Redis the instance is cut off from Redis.
  let outage: { begin(): Promise<void>; end(): Promise<void>; dispose(): Promise<void> };
  beforeAll(async () => {
    if (testBus === 'redis') {
      const proxy = await startTcpProxy(new URL(process.env.TEST_REDIS_URL!));
      server = await startTestServer({ REDIS_URL: proxy.url.toString() });
      outage = { begin: proxy.cut, end: proxy.restore, dispose: proxy.close };
    } else {
      server = await startTestServer();
      const database = databaseOutage(server.databaseUrl!);
      outage = {
        begin: async () => { expect(await database.begin(LISTENER_APPLICATION_NAME)).toBe(1); },
        end: () => database.end(),
        dispose: () => database.dispose(),
      };
    }
  });
  afterAll(async () => {
    await outage?.dispose();
    await server?.close();
  });

  it('reconnects, and closes the sockets of sessions revoked while it was away', async () => {
    const user = await signUpUser(server);
    const other = await loginUser(server, user.user.email);
    const socket = connectSocket(server.url, other.accessToken);
    await socket.acknowledged;
    const events = socket.subscribe<{ sessionRevoked: SessionRevokedEvent }>(SESSION_REVOKED);
    await whenSubscribed(server, other.session.id);

    // Keep the listener out while the revocation happens: its event goes to nobody.
    await outage.begin();
    await waitFor(() => server.logs().includes('session event listener lost its'), 'the loss to be noticed');

    const revoked = await gql(server, 'mutation($id: ID!) { revokeSession(id: $id) }', { token: user.accessToken, variables: { id: other.session.id } });
    expect(revoked.data).toEqual({ revokeSession: true });
    await waitFor(() => server.logs().includes('session event listener could not connect'), 'a failed reconnect');
    expect(socket.isAcknowledged()).toBe(true);
    expect(events.values).toEqual([]);

    await outage.end();
    expect((await within(events.first, 10_000, 'event after reconnect')).sessionRevoked).toMatchObject({ sessionId: other.session.id, reason: 'REVOKED' });
    expect((await within(socket.closed, 3_000, 'close')).code).toBe(4401);
    expect(server.logs()).toContain('session event listener reconnected');
  });
});

describe('shutdown', () => {
  let dataDir: string;
  let adminUrl: string | undefined;
  let scratch: TestServer | undefined;
  beforeAll(async () => {
    dataDir = await migratedDataDir();
    // On Postgres, borrow a scratch database from an in-process server that is closed at the end.
    scratch = testDriver === 'postgres' ? await startTestServer() : undefined;
    adminUrl = scratch?.databaseUrl;
  });
  afterAll(async () => {
    await scratch?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('closes sockets with 1001 (going away) and exits cleanly within 10 s', async () => {
    const env: Record<string, string> = adminUrl ? { DATABASE_URL: adminUrl } : { DATA_DIR: dataDir };
    const main = await startMain({ ...env, AUTH_SECRET: randomBytes(32).toString('hex') });
    const user = await signUpUser(main);
    const socket = connectSocket(main.url, user.accessToken);
    await socket.acknowledged;
    const startedAt = Date.now();
    const exited = main.stop();
    expect((await within(socket.closed, 5_000, 'close')).code).toBe(1001);
    expect(await within(exited, 10_000, 'exit')).toBe(0);
    expect(Date.now() - startedAt).toBeLessThan(10_000);
  });
});
