/** Several instances of the server on one database, the sessions they issue, and what their metrics say. */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { LISTENER_APPLICATION_NAME } from '../../../src/db/listener.js';
import { log, sleep, spawnServer, stopProcess, waitUntilAnswering, type DatabaseEnv } from './harness.js';
import type { IssuedSession, IssuedUser, PlannedUser } from './fleet-plan.js';
import { callGraphQL } from './sessions.js';

/** issueSession calls in flight per instance while the fleet's sessions are made: setup only, never measured. */
const ISSUE_CONCURRENCY_PER_INSTANCE = 8;
const SUBSCRIPTIONS_TIMEOUT_MS = 120_000;
const METRICS_POLL_MS = 250;

export const ISSUE_SESSION = 'mutation($input: IssueSessionInput!) { issueSession(input: $input) { accessToken session { id } user { id } } }';

type IssuePayload = { issueSession: { accessToken: string; session: { id: string }; user: { id: string } } };

export interface Fleet {
  /** Each instance's GraphQL endpoint. */
  urls: string[];
  pids: number[];
  stop(): Promise<void>;
}

/** `count` servers on one database, with one environment (and so one AUTH_SECRET); resolves once all answer. */
export async function startFleet(env: DatabaseEnv, count: number): Promise<Fleet> {
  const fleetEnv = { AUTH_SECRET: randomBytes(32).toString('hex'), ...env };
  const started: Array<Awaited<ReturnType<typeof spawnServer>>> = [];
  for (let i = 0; i < count; i++) started.push(await spawnServer(fleetEnv));
  const stop = async () => void (await Promise.all(started.map(({ child }) => stopProcess(child))));
  try {
    const urls = started.map(({ baseUrl }) => `${baseUrl}/graphql`);
    await Promise.all(started.map(({ child }, i) => waitUntilAnswering(urls[i]!, child)));
    return { urls, pids: started.map(({ child }) => child.pid!), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** One issueSession by the key; `url` is any instance. */
export async function issueSession(url: string, key: string, externalId: string): Promise<IssuedSession> {
  const { issueSession: issued } = await callGraphQL<IssuePayload>(url, ISSUE_SESSION, { input: { externalId } }, key);
  return { userId: issued.user.id, sessionId: issued.session.id, accessToken: issued.accessToken };
}

/** Every planned session, issued by all instances at once (each call to the next instance in turn). */
export async function issueFleetSessions(urls: string[], key: string, users: PlannedUser[]): Promise<IssuedUser[]> {
  const calls = users.flatMap((plan, userIndex) => Array.from({ length: plan.sessionCount }, () => userIndex));
  const issued: IssuedSession[][] = users.map(() => []);
  const startedAt = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < calls.length) {
      const index = next++;
      const userIndex = calls[index]!;
      issued[userIndex]!.push(await issueSession(urls[index % urls.length]!, key, users[userIndex]!.externalId));
      if (index > 0 && index % 5_000 === 0) log(`  ${index} sessions issued`);
    }
  };
  await Promise.all(Array.from({ length: ISSUE_CONCURRENCY_PER_INSTANCE * urls.length }, worker));
  const seconds = (performance.now() - startedAt) / 1000;
  log(`issued ${calls.length} sessions for ${users.length} users in ${seconds.toFixed(1)} s (${(calls.length / seconds).toFixed(0)}/s)`);
  return users.map((plan, i) => ({ plan, userId: issued[i]![0]!.userId, sessions: issued[i]! }));
}

/** Waits until the instances' `websocket_subscriptions` gauges add up to `expected`: graphql-ws does not acknowledge a subscription. */
export async function waitForSubscriptions(urls: string[], expected: number): Promise<void> {
  const deadline = Date.now() + SUBSCRIPTIONS_TIMEOUT_MS;
  let counts: number[] = [];
  while (Date.now() < deadline) {
    counts = await Promise.all(urls.map(readSubscriptionGauge));
    if (counts.reduce((sum, count) => sum + count, 0) === expected) return;
    await sleep(METRICS_POLL_MS);
  }
  throw new Error(`subscriptions per instance ${counts.join(', ')} did not add up to ${expected} within ${SUBSCRIPTIONS_TIMEOUT_MS} ms`);
}

async function readSubscriptionGauge(graphqlUrl: string): Promise<number> {
  const text = await (await fetch(new URL('/metrics', graphqlUrl))).text();
  const match = /^session_server_websocket_subscriptions (\d+)$/m.exec(text);
  if (!match) throw new Error(`no session_server_websocket_subscriptions in ${graphqlUrl}'s /metrics`);
  return Number(match[1]);
}

/** Connections LISTENing for session events on this database, as the Postgres bus of each instance holds one: tells which bus a build really runs. */
export async function countPostgresBusListeners(databaseUrl: string): Promise<number> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<Array<{ count: number }>>`SELECT count(*)::int AS count FROM pg_stat_activity WHERE datname = current_database() AND application_name = ${LISTENER_APPLICATION_NAME}`;
    return row!.count;
  } finally {
    await sql.end();
  }
}
