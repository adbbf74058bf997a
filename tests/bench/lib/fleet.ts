/** Several instances of the server on one database, the sessions they issue, and what their metrics say. */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { LISTENER_APPLICATION_NAME } from '../../../src/db/listener.js';
import { log, sleep, spawnServer, stopProcess, waitUntilAnswering, type DatabaseEnv } from './harness.js';
import type { IssuedSession, IssuedUser, PlannedUser } from './fleet-plan.js';
import { postJson } from './http-client.js';
import { dataOf } from './sessions.js';

/** Batched requests in flight per instance while sessions are made: setup only, never measured. */
const ISSUE_CONCURRENCY_PER_INSTANCE = 4;
/**
 * issueSession fields per request, each under its own alias (GRAPHQL_MAX_ALIASES is 30): setup
 * only. Nearly twice the sessions a second of one call each, as the request's own work is shared.
 */
const ISSUE_BATCH = 30;
const SUBSCRIPTIONS_TIMEOUT_MS = 120_000;
const METRICS_POLL_MS = 250;

const ISSUED_FIELDS = '{ accessToken session { id } user { id } }';
const ISSUE_SESSION = `mutation($input: IssueSessionInput!) { issueSession(input: $input) ${ISSUED_FIELDS} }`;

type Issued = { accessToken: string; session: { id: string }; user: { id: string } };

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
  const { issueSession: issued } = dataOf<{ issueSession: Issued }>(await postJson(url, { query: ISSUE_SESSION, variables: { input: { externalId } } }, authorization(key)));
  return toSession(issued);
}

/** A session for each of `externalIds`, in their order: ISSUE_BATCH to a request, each request to the next instance in turn. */
export async function issueMany(urls: string[], key: string, externalIds: string[]): Promise<IssuedSession[]> {
  const issued: IssuedSession[] = new Array(externalIds.length);
  let nextBatch = 0;
  const worker = async () => {
    for (let batch = nextBatch++; batch * ISSUE_BATCH < externalIds.length; batch = nextBatch++) {
      const start = batch * ISSUE_BATCH;
      const sessions = await issueBatch(urls[batch % urls.length]!, key, externalIds.slice(start, start + ISSUE_BATCH));
      sessions.forEach((session, i) => (issued[start + i] = session));
    }
  };
  await Promise.all(Array.from({ length: ISSUE_CONCURRENCY_PER_INSTANCE * urls.length }, worker));
  return issued;
}

async function issueBatch(url: string, key: string, externalIds: string[]): Promise<IssuedSession[]> {
  const variables = Object.fromEntries(externalIds.map((externalId, i) => [`i${i}`, { externalId }]));
  const query = `mutation(${externalIds.map((_, i) => `$i${i}: IssueSessionInput!`).join(', ')}) { ${externalIds.map((_, i) => `s${i}: issueSession(input: $i${i}) ${ISSUED_FIELDS}`).join(' ')} }`;
  const data = dataOf<Record<string, Issued>>(await postJson(url, { query, variables }, authorization(key)));
  return externalIds.map((_, i) => toSession(data[`s${i}`]!));
}

/** Every planned session, issued by all instances at once. */
export async function issueFleetSessions(urls: string[], key: string, users: PlannedUser[]): Promise<IssuedUser[]> {
  const owners = users.flatMap((plan, userIndex) => Array.from({ length: plan.sessionCount }, () => userIndex));
  const startedAt = performance.now();
  const issued = await issueMany(urls, key, owners.map((userIndex) => users[userIndex]!.externalId));
  const seconds = (performance.now() - startedAt) / 1000;
  log(`issued ${issued.length} sessions for ${users.length} users in ${seconds.toFixed(1)} s (${(issued.length / seconds).toFixed(0)}/s)`);
  const byUser: IssuedSession[][] = users.map(() => []);
  issued.forEach((session, i) => byUser[owners[i]!]!.push(session));
  return users.map((plan, i) => ({ plan, userId: byUser[i]![0]!.userId, sessions: byUser[i]! }));
}

function toSession({ accessToken, session, user }: Issued): IssuedSession {
  return { userId: user.id, sessionId: session.id, accessToken };
}

function authorization(key: string): Record<string, string> {
  return { authorization: `Bearer ${key}` };
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
