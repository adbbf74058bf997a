// Delivery under failure: a receiver that is down and comes back gets everything in order; a slow
// one holds up nobody; two instances deliver each event once; a killed instance's deliveries are
// sent after a restart.
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { gql, loginUser, signUpUser } from './helpers/graphql.js';
import { scrape } from './helpers/metrics.js';
import { startMain, type MainProcess } from './helpers/process.js';
import { createEndpoint, Receiver } from './helpers/receiver.js';
import { newServiceKey } from './helpers/service-keys.js';
import { startTestServer, testDriver, type TestServer } from './helpers/server.js';
import { waitFor } from './helpers/ws.js';

const REVOKE_ALL = 'mutation($where: UserSessionsWhere!) { revokeUserSessions(where: $where) }';
const OUTAGE_MS = 20_000;

/** Signs up `users` users with `devices` sessions each: their ids, session ids by user. */
async function usersWithDevices(server: Pick<TestServer, 'url'>, users: number, devices: number): Promise<Array<{ userId: string; sessionIds: string[] }>> {
  return Promise.all(Array.from({ length: users }, async () => {
    const first = await signUpUser(server);
    const sessionIds = [first.session.id];
    // One after another: concurrent logins of one email hold the throttle's budget together.
    for (let device = 1; device < devices; device += 1) sessionIds.push((await loginUser(server, first.user.email)).session.id);
    return { userId: first.user.id, sessionIds };
  }));
}

describe('a receiver that is down', () => {
  let server: TestServer;
  let receiver: Receiver;
  let key: string;
  beforeAll(async () => {
    server = await startTestServer({ WEBHOOK_MAX_BACKOFF_SECONDS: '4' });
    receiver = await Receiver.start();
    key = await newServiceKey(server, 'backend', ['webhooks:manage', 'sessions:revoke']);
  });
  afterAll(async () => {
    await receiver?.close();
    await server?.close();
  });

  it('gets every event it missed once it is back, each session in order, each event once', async () => {
    const { secret } = await createEndpoint(server, key, { url: receiver.url });
    await receiver.goDown();
    const downAt = performance.now();
    const users = await usersWithDevices(server, 4, 3);
    for (const user of users) expect((await gql(server, REVOKE_ALL, { token: key, variables: { where: { userId: user.userId } } })).data).toEqual({ revokeUserSessions: 3 });
    // Every delivery has failed a few times over: the receiver has been down through several retries.
    await waitFor(() => (server.logs().match(/webhook delivery failed; retrying/g)?.length ?? 0) >= 3 * 24, 'three rounds of retries', 30_000);
    expect(receiver.requests).toEqual([]);
    // The outage lasts 20 s, as a receiver's restart might: long enough for backoffs to grow past a second.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, OUTAGE_MS - (performance.now() - downAt))));

    await receiver.comeUp();
    await receiver.waitForRequests(24, 'the 24 events', 30_000);
    const verifier = new Webhook(secret!);
    const events = receiver.requests.map((request) => verifier.verify(request.body, request.headers as Record<string, string>) as { id: string; type: string; data: { sessionId: string } });
    expect(new Set(events.map((event) => event.id)).size).toBe(24);
    for (const sessionId of users.flatMap((user) => user.sessionIds)) {
      expect(events.filter((event) => event.data.sessionId === sessionId).map((event) => event.type), sessionId).toEqual(['session.created', 'session.ended']);
    }
  });
});

describe('a slow receiver', () => {
  let server: TestServer;
  let slow: Receiver;
  let fast: Receiver;
  beforeAll(async () => {
    server = await startTestServer();
    [slow, fast] = await Promise.all([Receiver.start(), Receiver.start()]);
    const key = await newServiceKey(server, 'backend', ['webhooks:manage']);
    slow.behaviour = { status: 204, delayMs: 5_000 };
    await createEndpoint(server, key, { url: slow.url });
    await createEndpoint(server, key, { url: fast.url });
  });
  afterAll(async () => {
    await Promise.all([slow?.close(), fast?.close()]);
    await server?.close();
  });

  it('holds up neither the revoking request nor the other endpoint', async () => {
    const laptop = await signUpUser(server);
    const phone = await loginUser(server, laptop.user.email);
    // The slow endpoint is sitting on the sign-ups' deliveries while all of this happens.
    await slow.waitForRequests(1);
    const revoked = await gql(server, 'mutation($id: ID!) { revokeSession(id: $id) }', { token: laptop.accessToken, variables: { id: phone.session.id } });
    expect(revoked.data).toEqual({ revokeSession: true });
    await waitFor(() => fast.events().some((event) => event.type === 'session.ended' && event.data.sessionId === phone.session.id), 'the end at the fast endpoint');
    const answeredBySlow = slow.requests.filter((request) => performance.now() - request.at >= 5_000).length;
    expect(answeredBySlow).toBe(0);
    await waitFor(() => slow.events().some((event) => event.type === 'session.ended'), 'the end at the slow endpoint, in time', 20_000);
  });
});

describe.runIf(testDriver === 'postgres')('two instances on one Postgres', () => {
  const authSecret = randomBytes(32).toString('hex');
  let first: TestServer;
  let second: MainProcess;
  let receiver: Receiver;
  beforeAll(async () => {
    first = await startTestServer({ AUTH_SECRET: authSecret });
    second = await startMain({ DATABASE_URL: first.databaseUrl!, AUTH_SECRET: authSecret });
    receiver = await Receiver.start();
  });
  afterAll(async () => {
    await second?.stop();
    await first?.close();
    await receiver?.close();
  });

  it('deliver each event once between them', async () => {
    const key = await newServiceKey(first, 'backend', ['webhooks:manage', 'sessions:revoke']);
    await createEndpoint(first, key, { url: receiver.url, eventTypes: ['SESSION_ENDED'] });
    const users = await usersWithDevices(second, 5, 10);
    await Promise.all(users.map((user) => gql(first, REVOKE_ALL, { token: key, variables: { where: { userId: user.userId } } })));
    await receiver.waitForRequests(50);
    // A later event arriving means any duplicate of the earlier ones would have too.
    const last = await signUpUser(first);
    await gql(second, 'mutation { logout }', { token: last.accessToken });
    await receiver.waitForRequests(51);
    const ids = receiver.requests.map((request) => request.headers['webhook-id']);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(51);
    // An instance counts a delivery once the response is back, a moment after the receiver saw it.
    const delivered = async () => {
      const counts = await Promise.all([first, second].map(async (instance) => (await scrape(instance)).value('session_server_webhook_delivery_attempts_total', { outcome: 'delivered' })));
      return counts[0]! + counts[1]!;
    };
    await expect.poll(delivered).toBe(51);
  });
});

describe.runIf(testDriver === 'postgres')('an instance killed between commit and delivery', () => {
  const authSecret = randomBytes(32).toString('hex');
  let writer: TestServer;
  let receiver: Receiver;
  const processes: MainProcess[] = [];
  beforeAll(async () => {
    // This instance takes the requests and delivers nothing; the processes deliver.
    writer = await startTestServer({ AUTH_SECRET: authSecret, WEBHOOK_DELIVERY: 'off' });
    receiver = await Receiver.start();
  });
  afterEach(async () => {
    await Promise.all(processes.map((process) => process.stop()));
  });
  afterAll(async () => {
    await receiver?.close();
    await writer?.close();
  });

  it('has its deliveries sent after a restart: the one it was sending, and those it never claimed', async () => {
    const env = { DATABASE_URL: writer.databaseUrl!, AUTH_SECRET: authSecret, WEBHOOK_TIMEOUT_SECONDS: '1' };
    const key = await newServiceKey(writer, 'backend', ['webhooks:manage']);
    await createEndpoint(writer, key, { url: receiver.url, eventTypes: ['SESSION_ENDED'] });
    const doomed = await startMain(env);
    receiver.behaviour = { status: 204, hang: true };
    const sending = await signUpUser(writer);
    await gql(writer, 'mutation { logout }', { token: sending.accessToken });
    await receiver.waitForRequests(1, 'the delivery in flight');
    doomed.child.kill('SIGKILL');
    await new Promise((resolve) => doomed.child.once('exit', resolve));

    const unclaimed = await signUpUser(writer);
    await gql(writer, 'mutation { logout }', { token: unclaimed.accessToken });
    receiver.behaviour = { status: 204 };
    processes.push(await startMain(env));
    // The unclaimed one at once; the one in flight once its claim (2 × timeout + 5 s) lapses.
    await waitFor(() => receiver.events().some((event) => event.data.sessionId === unclaimed.session.id), 'the unclaimed delivery', 20_000);
    await waitFor(() => receiver.requests.filter((request) => request.body.includes(sending.session.id)).length >= 2, 'the delivery in flight, again', 20_000);
    const delivered = receiver.events().map((event) => event.data.sessionId);
    // At least twice: the killed instance's attempt, and the restarted one's (the killed one may have timed out and retried first).
    expect(delivered.filter((id) => id === sending.session.id).length).toBeGreaterThanOrEqual(2);
    expect(delivered.filter((id) => id === unclaimed.session.id)).toHaveLength(1);
    expect(receiver.requests[0]!.headers['webhook-id']).toBe(receiver.requests.find((request, index) => index > 0 && request.body.includes(sending.session.id))!.headers['webhook-id']);
  });
});
