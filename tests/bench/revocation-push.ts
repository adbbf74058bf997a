/**
 * How fast a revocation reaches the revoked session's socket: push latency of `revokeSession`
 * on one instance and across two instances sharing Postgres, fan-out of `revokeAllSessions` to
 * 1,000 sockets, and the server's memory per idle authenticated socket. Every event is checked;
 * a wrong, missing or unclosed one fails the run. Progress goes to stderr, the report to stdout.
 */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { benchDrivers, log, postGraphQL, residentKiB, sleep, withServer, type DatabaseEnv, type Driver, type ServerProcess } from './lib/harness.js';
import { inspectable, type Inspectable } from './lib/inspector.js';
import { printReport, type DriverResult, type Latency, type Memory, type MemoryReading } from './lib/push-report.js';
import { bearer, createUserWithSessions, dataOf, type BenchUser } from './lib/sessions.js';
import { disposeAll, openSubscribers, within, type Subscriber } from './lib/subscribers.js';

const REVOCATIONS = 1_000;
const FAN_OUT_SOCKETS = 1_000;
/** Run unmeasured first, so that no server is timed, nor its memory read, while its code is still cold. */
const WARM_UP_REVOCATIONS = 50;
const WARM_UP_FAN_OUT_SOCKETS = 100;
/** From sending the revoking request to the event at the socket. */
const ONE_INSTANCE_P99_BAR_MS = 25;
const ACROSS_INSTANCES_P99_BAR_MS = 35;
const FAN_OUT_BAR_MS = 250;
/** graphql-ws does not acknowledge a subscription: this is long enough for the last ones to be checked and open. */
const SUBSCRIBE_SETTLE_MS = 1_000;
/** Lets the server finish its work for the sockets before its memory is read. */
const MEMORY_SETTLE_MS = 1_000;
const EVENT_TIMEOUT_MS = 2_000;
/** Past this many lost or wrong events a scenario stops: each one costs a timeout. */
const MAX_FAILURES = 10;

const REVOKE_SESSION = 'mutation($id: ID!) { revokeSession(id: $id) }';
const REVOKE_ALL_SESSIONS = 'mutation { revokeAllSessions }';

async function main(): Promise<void> {
  const results: DriverResult[] = [];
  for (const { driver, withDatabase } of benchDrivers()) {
    // Two instances must verify each other's tokens, so they share one secret; one user holds
    // every session of the fan-out, far beyond the default cap of 50.
    const run = (env: DatabaseEnv) => benchDriver(driver, { ...env, AUTH_SECRET: randomBytes(32).toString('hex'), MAX_SESSIONS_PER_USER: '10000' });
    results.push(await withDatabase(run));
  }
  printReport(
    results,
    `push: ${REVOCATIONS} revokeSession calls one at a time (after ${WARM_UP_REVOCATIONS} unmeasured), each awaited until its socket closed; ` +
      `fan-out: one revokeAllSessions to ${FAN_OUT_SOCKETS} sockets on a fresh server, after one to ${WARM_UP_FAN_OUT_SOCKETS}`,
  );
  if (results.some((result) => result.failures.length > 0)) process.exitCode = 1;
}

/** Push latency on Postgres only, where instances can share a database; fan-out and memory on every driver. */
async function benchDriver(driver: Driver, env: DatabaseEnv): Promise<DriverResult> {
  const failures: string[] = [];
  const latencies = driver === 'postgres' ? await measurePushes(driver, env, failures) : [];
  log(`${driver}: fan-out: creating ${WARM_UP_FAN_OUT_SOCKETS} + ${FAN_OUT_SOCKETS} sessions`);
  const users = await withServer(env, async (url) => ({
    warmUp: await createUserWithSessions(url, WARM_UP_FAN_OUT_SOCKETS),
    measured: await createUserWithSessions(url, FAN_OUT_SOCKETS),
  }));
  // A fresh server: what argon2 allocated for the logins would otherwise drown the sockets in its
  // RSS. Its inspector is open so that each memory reading follows a forced full collection.
  log(`${driver}: fan-out: starting a fresh server`);
  const inspector = await inspectable();
  const measure = (url: string, server: ServerProcess) => measureFanOutAndMemory(`${driver}: fan-out`, { url, server, inspector, ...users }, failures);
  const { fanOut, memory } = await withServer(env, measure, { nodeArgs: inspector.nodeArgs });
  return { driver, latencies: [...latencies, fanOut], memory, failures };
}

// ---- push latency ------------------------------------------------------------------------------

interface PushSetup {
  revokeUrl: string;
  socketUrl: string;
  /** The p99 bar, from the request. */
  barMs: number;
  databaseUrl: string;
}

function measurePushes(driver: Driver, env: DatabaseEnv, failures: string[]): Promise<Latency[]> {
  log(`${driver}: starting server`);
  return withServer(env, async (url) => {
    const databaseUrl = env.DATABASE_URL!;
    const oneInstance = await measurePush(`${driver}: push, one instance`, { revokeUrl: url, socketUrl: url, barMs: ONE_INSTANCE_P99_BAR_MS, databaseUrl }, failures);
    log(`${driver}: starting a second server on the same database`);
    const setup = { revokeUrl: url, barMs: ACROSS_INSTANCES_P99_BAR_MS, databaseUrl };
    const acrossInstances = await withServer(env, (socketUrl) => measurePush(`${driver}: push, across instances`, { ...setup, socketUrl }, failures));
    return [oneInstance, acrossInstances];
  });
}

/**
 * Sockets on `socketUrl`; sessions revoked one at a time on `revokeUrl`, each after the previous
 * one's socket closed. The database's own account of its time (`pg_stat_database.active_time`)
 * and commits is read around the measured revocations.
 */
async function measurePush(scenario: string, { revokeUrl, socketUrl, barMs, databaseUrl }: PushSetup, failures: string[]): Promise<Latency> {
  const result: Latency = { scenario, fromRequest: [], fromResponse: [], bar: { on: 'p99', maxMs: barMs } };
  log(`${scenario}: creating ${WARM_UP_REVOCATIONS + REVOCATIONS} sessions`);
  const user = await createUserWithSessions(revokeUrl, WARM_UP_REVOCATIONS + REVOCATIONS);
  const subscribers = await openSubscribed(scenario, socketUrl, user);
  const database = databaseActivity(databaseUrl);
  let before: Activity | undefined;
  try {
    log(`${scenario}: revoking ${subscribers.length} sessions one at a time, the first ${WARM_UP_REVOCATIONS} unmeasured`);
    for (const [index, subscriber] of subscribers.entries()) {
      if (index === WARM_UP_REVOCATIONS) before = await database.read();
      try {
        const { fromRequest, fromResponse } = await revokeOne(revokeUrl, user, subscriber);
        if (index < WARM_UP_REVOCATIONS) continue;
        result.fromRequest.push(fromRequest);
        result.fromResponse.push(fromResponse);
      } catch (error) {
        failures.push(`${scenario}: session ${subscriber.sessionId}: ${(error as Error).message}`);
        if (failures.length > MAX_FAILURES) throw new Error(`${scenario}: too many failures:\n${failures.join('\n')}`);
      }
    }
    const after = await database.read();
    const per = (key: keyof Activity) => (after[key] - before![key]) / REVOCATIONS;
    result.database = { msPerRevocation: per('activeMs'), commitsPerRevocation: per('commits') };
    return result;
  } finally {
    disposeAll(subscribers);
    await database.close();
  }
}

interface Activity {
  activeMs: number;
  commits: number;
}

/**
 * What Postgres counts for the database: the time its backends spent running statements, and
 * transactions committed (every statement outside a transaction is one). Each backend reports
 * its counts when it goes idle, at most once a second: a reading waits two.
 */
function databaseActivity(url: string) {
  const client = postgres(url, { max: 1, onnotice: () => {} });
  return {
    async read(): Promise<Activity> {
      await sleep(2_000);
      const [row] = await client<{ activeMs: number; commits: string }[]>`
        SELECT active_time AS "activeMs", xact_commit AS commits FROM pg_stat_database WHERE datname = current_database()`;
      // This connection's own reading is one commit, taken before the next reading's.
      return { activeMs: row!.activeMs, commits: Number(row!.commits) - 1 };
    },
    close: () => client.end(),
  };
}

async function revokeOne(url: string, user: BenchUser, subscriber: Subscriber): Promise<{ fromRequest: number; fromResponse: number }> {
  const sentAt = performance.now();
  const response = await postGraphQL(url, { query: REVOKE_SESSION, variables: { id: subscriber.sessionId } }, bearer(user.admin.accessToken));
  const respondedAt = performance.now();
  if (dataOf<{ revokeSession: boolean }>(response).revokeSession !== true) throw new Error(`revokeSession answered ${response.text}`);
  const eventAt = await checkDelivered(subscriber);
  return { fromRequest: eventAt - sentAt, fromResponse: eventAt - respondedAt };
}

/** Checks the socket got its own session's event, then was closed with 4401; returns when the event arrived. */
async function checkDelivered(subscriber: Subscriber): Promise<number> {
  const { value, at } = await within(subscriber.event, EVENT_TIMEOUT_MS, 'sessionRevoked');
  if (value.sessionId !== subscriber.sessionId || value.reason !== 'REVOKED') throw new Error(`wrong event ${JSON.stringify(value)}`);
  const { value: code } = await within(subscriber.closed, EVENT_TIMEOUT_MS, 'close after the event');
  if (code !== 4401) throw new Error(`socket closed with ${code}, not 4401`);
  return at;
}

/** One socket per session of `user` (not its admin), each subscribed to `sessionRevoked`. */
async function openSubscribed(scenario: string, url: string, user: BenchUser): Promise<Subscriber[]> {
  log(`${scenario}: opening ${user.sessions.length} subscribed sockets`);
  const subscribers = await openSubscribers(url, user.sessions, { subscribe: true });
  await sleep(SUBSCRIBE_SETTLE_MS);
  return subscribers;
}

// ---- fan-out and memory ------------------------------------------------------------------------

interface FanOutSetup {
  url: string;
  server: ServerProcess;
  inspector: Inspectable;
  /** Both made beforehand, by another server process. */
  warmUp: BenchUser;
  measured: BenchUser;
}

/**
 * After a small unmeasured fan-out, the measured sockets are opened bare, so the memory read
 * covers only idle authenticated connections; then each subscribes, and one `revokeAllSessions`
 * from the admin session ends them all.
 */
async function measureFanOutAndMemory(scenario: string, { url, server, inspector, warmUp, measured }: FanOutSetup, failures: string[]) {
  const warmUpSubscribers = await openSubscribed(`${scenario} warm-up`, url, warmUp);
  await revokeAll(`${scenario} warm-up`, url, warmUp, warmUpSubscribers, failures).finally(() => disposeAll(warmUpSubscribers));
  const before = await readMemory(server, inspector);
  log(`${scenario}: opening ${measured.sessions.length} idle sockets`);
  const subscribers = await openSubscribers(url, measured.sessions, { subscribe: false });
  try {
    const memory: Memory = { sockets: subscribers.length, before, after: await readMemory(server, inspector) };
    for (const subscriber of subscribers) subscriber.subscribe();
    await sleep(SUBSCRIBE_SETTLE_MS);
    return { fanOut: await revokeAll(scenario, url, measured, subscribers, failures), memory };
  } finally {
    disposeAll(subscribers);
  }
}

async function readMemory(server: ServerProcess, inspector: Inspectable): Promise<MemoryReading> {
  await sleep(MEMORY_SETTLE_MS);
  const heapBytes = await inspector.collectGarbage();
  return { rssKiB: await residentKiB(server.pid), heapKiB: heapBytes / 1024 };
}

async function revokeAll(scenario: string, url: string, user: BenchUser, subscribers: Subscriber[], failures: string[]): Promise<Latency> {
  log(`${scenario}: revoking all ${subscribers.length + 1} sessions at once`);
  const sentAt = performance.now();
  const response = await postGraphQL(url, { query: REVOKE_ALL_SESSIONS }, bearer(user.admin.accessToken));
  const respondedAt = performance.now();
  // Every login plus the admin session itself.
  const count = dataOf<{ revokeAllSessions: number }>(response).revokeAllSessions;
  if (count !== subscribers.length + 1) failures.push(`${scenario}: revokeAllSessions ended ${count} sessions, expected ${subscribers.length + 1}`);
  const outcomes = await Promise.allSettled(subscribers.map(checkDelivered));
  const arrivals: number[] = [];
  outcomes.forEach((outcome, i) => {
    if (outcome.status === 'fulfilled') arrivals.push(outcome.value);
    else failures.push(`${scenario}: session ${subscribers[i]!.sessionId}: ${(outcome.reason as Error).message}`);
  });
  return {
    scenario: `${scenario}, revokeAllSessions`,
    fromRequest: arrivals.map((at) => at - sentAt),
    fromResponse: arrivals.map((at) => at - respondedAt),
    bar: { on: 'last', maxMs: FAN_OUT_BAR_MS },
  };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
