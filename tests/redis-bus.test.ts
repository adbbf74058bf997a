// What only the Redis bus does: a channel per user, followed while an instance holds that user's
// sockets; a periodic re-check for a publish lost between commit and Redis; a start without Redis.
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_CHANNEL_PREFIX } from '../src/realtime/redis-session-event-bus.js';
import { testBus } from './helpers/bus.js';
import { gql, loginUser, signUpUser } from './helpers/graphql.js';
import { startMain, type MainProcess } from './helpers/process.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { startTcpProxy } from './helpers/tcp-proxy.js';
import { connectSocket, SESSION_REVOKED, waitFor, whenSubscribed, within, type SessionRevokedEvent } from './helpers/ws.js';

const REVOKE_SESSION = 'mutation($id: ID!) { revokeSession(id: $id) }';

describe.runIf(testBus === 'redis')('the Redis session event bus', () => {
  const authSecret = randomBytes(32).toString('hex');
  let server: TestServer;
  let second: MainProcess;
  let redis: Redis;
  beforeAll(async () => {
    server = await startTestServer({ AUTH_SECRET: authSecret, SESSION_BUS_RESYNC_SECONDS: '1' });
    second = await startMain({ DATABASE_URL: server.databaseUrl!, AUTH_SECRET: authSecret });
    redis = new Redis(process.env.TEST_REDIS_URL!);
  });
  afterAll(async () => {
    redis?.disconnect();
    await second?.stop();
    await server?.close();
  });

  /** How many instances listen to the user's channel. */
  async function listenersOf(userId: string): Promise<number> {
    const [, count] = (await redis.pubsub('NUMSUB', `${REDIS_CHANNEL_PREFIX}${userId}`)) as [string, number];
    return count;
  }

  it('subscribes an instance to the users it holds sockets of, while it holds them, and carries their events across instances', async () => {
    const holder = await signUpUser(server);
    const phone = await loginUser(server, holder.user.email);
    const bystander = await signUpUser(server);
    expect(await listenersOf(holder.user.id)).toBe(0);

    const socket = connectSocket(second.url, phone.accessToken);
    await socket.acknowledged;
    const events = socket.subscribe<{ sessionRevoked: SessionRevokedEvent }>(SESSION_REVOKED);
    await whenSubscribed(second, phone.session.id);
    await waitFor(async () => (await listenersOf(holder.user.id)) === 1, 'the holding instance to follow the user');
    expect(await listenersOf(bystander.user.id)).toBe(0);

    await gql(server, REVOKE_SESSION, { token: holder.accessToken, variables: { id: phone.session.id } });
    expect((await within(events.first, 3_000, 'event across instances')).sessionRevoked).toMatchObject({ sessionId: phone.session.id, reason: 'REVOKED' });
    expect((await within(socket.closed, 3_000, 'close')).code).toBe(4401);
    await waitFor(async () => (await listenersOf(holder.user.id)) === 0, 'the instance to stop following the user');
  });

  it('closes the socket of a session that ended with no publish (its instance died after the commit), by the periodic re-check', async () => {
    const user = await signUpUser(server);
    const socket = connectSocket(server.url, user.accessToken);
    await socket.acknowledged;
    const events = socket.subscribe<{ sessionRevoked: SessionRevokedEvent }>(SESSION_REVOKED);
    await whenSubscribed(server, user.session.id);

    // Committed as the revoker would, but nothing is published.
    await server.database.db.execute(sql`UPDATE sessions SET revoked_at = now(), revoked_reason = 'REVOKED' WHERE id = ${user.session.id}`);
    expect((await within(events.first, 5_000, 'event from the re-check')).sessionRevoked).toMatchObject({ sessionId: user.session.id, reason: 'REVOKED' });
    expect((await within(socket.closed, 3_000, 'close')).code).toBe(4401);
  });
});

describe.runIf(testBus === 'redis')('an instance started while Redis is away', () => {
  let server: TestServer;
  let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
  beforeAll(async () => {
    proxy = await startTcpProxy(new URL(process.env.TEST_REDIS_URL!));
    await proxy.cut();
    server = await startTestServer({ REDIS_URL: proxy.url.toString() });
  });
  afterAll(async () => {
    await server?.close();
    await proxy?.close();
  });

  it('serves, is not ready until Redis answers, then pushes revocations', async () => {
    const user = await signUpUser(server);
    const phone = await loginUser(server, user.user.email);
    expect((await fetch(new URL('/readyz', server.url))).status).toBe(503);

    await proxy.restore();
    await waitFor(async () => (await fetch(new URL('/readyz', server.url))).status === 200, 'ready once Redis answers');
    const socket = connectSocket(server.url, phone.accessToken);
    await socket.acknowledged;
    const events = socket.subscribe<{ sessionRevoked: SessionRevokedEvent }>(SESSION_REVOKED);
    await whenSubscribed(server, phone.session.id);
    await gql(server, REVOKE_SESSION, { token: user.accessToken, variables: { id: phone.session.id } });
    expect((await within(events.first, 3_000, 'event')).sessionRevoked).toMatchObject({ sessionId: phone.session.id, reason: 'REVOKED' });
  });
});
