/**
 * How session events reach a backend's webhook: the latency from a revoking request's response to
 * its `session.ended` at a loopback receiver, how fast the dispatcher drains a backlog to one
 * endpoint, and what having an endpoint costs the revoking request. Sessions are made and ended by
 * a service key (issueSession, revokeUserSessions), so no password hashing competes for the CPU.
 * Every event is checked by its session id: a lost one fails the run. Progress goes to stderr,
 * the report to stdout.
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import postgres from 'postgres';
import { benchDrivers, log, machineLine, median, percentile, postGraphQL, printTable, sleep, spawnServer, stopProcess, withServer, type DatabaseEnv, type Driver } from './lib/harness.js';
import { cpuBetween, readCpu, type CpuSample, type CpuUse } from './lib/cpu-use.js';
import { createServiceKey } from './lib/service-key.js';
import { bearer, callGraphQL, dataOf } from './lib/sessions.js';
import { Receiver } from './lib/webhook-receiver.js';

const WARM_UP_REVOCATIONS = 30;
const REVOCATIONS = 300;
const BACKLOG_EVENTS = 5_000;
/** Conditions of the on/off comparison alternate this many times, so a drift of the shared machine favours neither. */
const ROUNDS = 10;
/** The paced on/off comparison waits this long after each response: long enough for its delivery to be over. */
const PACE_MS = 20;
const SESSIONS_PER_USER = 50;
/** Requests in flight while sessions are made and the backlog is ended: setup only, never measured. */
const SETUP_CONCURRENCY = 8;
const LATENCY_P99_BAR_MS = 100;
const THROUGHPUT_BAR = 1_000;
const OVERHEAD_BAR = 1.1;
const ARRIVAL_TIMEOUT_MS = 5_000;
const DRAIN_TIMEOUT_MS = 180_000;
const CPU_SAMPLE_MS = 200;
/** Lets the last delivery of an "on" batch be recorded by the server before the next batch is timed. */
const BATCH_SETTLE_MS = 100;
/** Past this many late events the latency scenario stops: each one costs a timeout. */
const MAX_FAILURES = 10;

const ISSUE_SESSION = 'mutation($input: IssueSessionInput!) { issueSession(input: $input) { session { id } user { id } } }';
const REVOKE = 'mutation($where: UserSessionsWhere!) { revokeUserSessions(where: $where) }';
const CREATE_ENDPOINT = 'mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { endpoint { id } } }';
const DISABLE_ENDPOINT = 'mutation($id: ID!) { disableWebhookEndpoint(id: $id) { id } }';
const ENABLE_ENDPOINT = 'mutation($id: ID!) { enableWebhookEndpoint(id: $id) { id } }';

interface IssuedSession {
  userId: string;
  sessionId: string;
}

/** What the writing server prepared: the backlog already ended (its deliveries pending), the rest still live. */
interface Prepared {
  endpointId: string;
  backlog: IssuedSession[];
  latency: IssuedSession[];
  overhead: IssuedSession[];
}

interface Drain {
  events: number;
  eventsPerSecond: number;
  /** CPU used from the first arrival to the last, in % of one core. */
  cpu: CpuUse;
}

type Condition = 'on' | 'off';
type Pacing = 'back to back' | `paced ${number} ms`;
/** Round trips of the revoking request in ms, by pacing and condition. */
type Overhead = Map<Pacing, Record<Condition, number[]>>;

interface DriverResult {
  driver: Driver;
  latency: number[];
  drain: Drain;
  /** The same drain once Postgres has statistics on the tables: what the plan of the claim query costs. */
  analyzedDrain: Drain | null;
  overhead: Overhead;
  /** Session ids whose session.ended never arrived. */
  lost: string[];
  /** Events that arrived more than once: allowed (at least once), but shown. */
  duplicates: number;
  /** Events for sessions ended while the endpoint was disabled, or of another type: there should be none. */
  unexpected: number;
}

async function main(): Promise<void> {
  const results: DriverResult[] = [];
  for (const { driver, withDatabase } of benchDrivers()) {
    results.push(await withDatabase((env) => benchDriver(driver, env)));
  }
  printReport(results);
  if (results.some((result) => result.lost.length > 0)) process.exitCode = 1;
}

/**
 * A server not delivering makes every session and ends the backlog's; a delivering one drains the
 * backlog as it starts; a third measures latency and overhead. On Postgres a second backlog is then
 * drained the same way after ANALYZE.
 */
async function benchDriver(driver: Driver, databaseEnv: DatabaseEnv): Promise<DriverResult> {
  // A test environment, not production: production refuses http:// endpoints, and the receiver is plain loopback HTTP.
  const env = { ...databaseEnv, NODE_ENV: 'test', GRAPHIQL: 'off', MAX_SESSIONS_PER_USER: '1000' };
  const writerEnv = { ...env, WEBHOOK_DELIVERY: 'off' };
  const key = await createServiceKey(env, 'sessions:issue,sessions:revoke,webhooks:manage');
  const receiver = await Receiver.start();
  try {
    log(`${driver}: preparing sessions on a server with WEBHOOK_DELIVERY=off`);
    const prepared = await withServer(writerEnv, (url) => prepare(driver, url, key, receiver));
    const drain = await measureDrain(driver, env, receiver, prepared.backlog);
    log(`${driver}: starting a server for latency and overhead`);
    const measured = await withServer(env, async (url) => {
      const latency = await measureLatency(driver, url, key, receiver, prepared.latency);
      return { latency, ...(await measureOverhead(driver, url, key, receiver, prepared)) };
    });
    let analyzed: { drain: Drain; backlog: IssuedSession[] } | null = null;
    if (driver === 'postgres') {
      log(`${driver}: diagnostic: a second backlog, drained after ANALYZE`);
      const backlog = await withServer(writerEnv, (url) => writeBacklog(driver, url, key));
      await analyze(databaseEnv.DATABASE_URL!);
      analyzed = { drain: await measureDrain(driver, env, receiver, backlog), backlog };
    }
    await sleep(BATCH_SETTLE_MS);
    const expected = [...prepared.backlog, ...prepared.latency, ...measured.onSessions, ...(analyzed?.backlog ?? [])];
    const lost = expected.filter(({ sessionId }) => !receiver.arrivals.has(sessionId)).map(({ sessionId }) => sessionId);
    const unexpected = measured.offSessions.filter(({ sessionId }) => receiver.arrivals.has(sessionId)).length + receiver.strays;
    const { latency, overhead } = measured;
    return { driver, latency, drain, analyzedDrain: analyzed?.drain ?? null, overhead, lost, duplicates: receiver.duplicates, unexpected };
  } finally {
    await receiver.close();
  }
}

/** Statistics on every table, as autovacuum would gather them in time; the scratch database is the bench's own. */
async function analyze(databaseUrl: string): Promise<void> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe('ANALYZE');
  } finally {
    await sql.end();
  }
}

async function prepare(driver: Driver, url: string, key: string, receiver: Receiver): Promise<Prepared> {
  const input = { url: receiver.url, format: 'STANDARD_WEBHOOKS', eventTypes: ['SESSION_ENDED'] };
  const { createWebhookEndpoint } = await callGraphQL<{ createWebhookEndpoint: { endpoint: { id: string } } }>(url, CREATE_ENDPOINT, { input }, key);
  // Each condition of the overhead comparison: a warm-up, then REVOCATIONS for each pacing.
  const overheadCount = 2 * (WARM_UP_REVOCATIONS + 2 * REVOCATIONS);
  log(`${driver}: issuing ${WARM_UP_REVOCATIONS + REVOCATIONS} + ${overheadCount} sessions`);
  const latency = await issueSessions(url, key, WARM_UP_REVOCATIONS + REVOCATIONS);
  const overhead = await issueSessions(url, key, overheadCount);
  const backlog = await writeBacklog(driver, url, key);
  return { endpointId: createWebhookEndpoint.endpoint.id, backlog, latency, overhead };
}

/** BACKLOG_EVENTS sessions issued, then ended a user at a time: one pending delivery each. */
async function writeBacklog(driver: Driver, url: string, key: string): Promise<IssuedSession[]> {
  log(`${driver}: issuing ${BACKLOG_EVENTS} sessions and ending them, ${SESSIONS_PER_USER} per revokeUserSessions`);
  const backlog = await issueSessions(url, key, BACKLOG_EVENTS);
  const userIds = [...new Set(backlog.map((session) => session.userId))];
  await inParallel(userIds, async (userId) => {
    const { revokeUserSessions } = await callGraphQL<{ revokeUserSessions: number }>(url, REVOKE, { where: { userId } }, key);
    if (revokeUserSessions !== SESSIONS_PER_USER) throw new Error(`revokeUserSessions ended ${revokeUserSessions} sessions of ${userId}, expected ${SESSIONS_PER_USER}`);
  });
  return backlog;
}

/** `count` sessions, `SESSIONS_PER_USER` to a user, in the order they were asked for. */
async function issueSessions(url: string, key: string, count: number): Promise<IssuedSession[]> {
  const prefix = `bench-${randomBytes(6).toString('hex')}`;
  const externalIds = Array.from({ length: count }, (_, i) => `${prefix}-${Math.floor(i / SESSIONS_PER_USER)}`);
  return inParallel(externalIds, async (externalId) => {
    const { issueSession } = await callGraphQL<{ issueSession: { session: { id: string }; user: { id: string } } }>(url, ISSUE_SESSION, { input: { externalId } }, key);
    return { userId: issueSession.user.id, sessionId: issueSession.session.id };
  });
}

async function inParallel<T, R>(items: T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: SETUP_CONCURRENCY }, worker));
  return results;
}

// ---- dispatcher throughput ---------------------------------------------------------------------

/**
 * Starts a delivering server on the backlog and stops it once the backlog arrived: the rate from
 * the first arrival to the last. The server drains before it answers, so its CPU is sampled from
 * its start, and read between the samples around the first and the last arrival.
 */
async function measureDrain(driver: Driver, env: DatabaseEnv, receiver: Receiver, backlog: IssuedSession[]): Promise<Drain> {
  log(`${driver}: starting a delivering server: it drains ${backlog.length} events`);
  const { child } = await spawnServer(env);
  const samples: CpuSample[] = [];
  let isSampling = true;
  const sampler = (async () => {
    while (isSampling) {
      samples.push(await readCpu(driver, child.pid!));
      await sleep(CPU_SAMPLE_MS);
    }
  })();
  try {
    // Missing events are reported as lost at the end.
    await receiver.waitForAll(backlog.map((session) => session.sessionId), DRAIN_TIMEOUT_MS).catch((error: Error) => log(`${driver}: drain: ${error.message}`));
  } finally {
    isSampling = false;
    await sampler;
    samples.push(await readCpu(driver, child.pid!));
    await stopProcess(child);
  }
  const times = backlog.flatMap((session) => receiver.arrivals.get(session.sessionId) ?? []);
  const first = Math.min(...times);
  const last = Math.max(...times);
  const eventsPerSecond = ((times.length - 1) / (last - first)) * 1000;
  log(`${driver}: drained ${times.length} events in ${(last - first).toFixed(0)} ms: ${eventsPerSecond.toFixed(0)} events/s`);
  const start = samples.findLast((sample) => sample.at <= first) ?? samples[0]!;
  const end = samples.find((sample) => sample.at >= last) ?? samples.at(-1)!;
  return { events: times.length, eventsPerSecond, cpu: cpuBetween(start, end) };
}

// ---- delivery latency --------------------------------------------------------------------------

/**
 * Ends the sessions one at a time, each after the previous one's event arrived; ms from each
 * response to its event. An event that does not come in time is missing from the final check too.
 */
async function measureLatency(driver: Driver, url: string, key: string, receiver: Receiver, sessions: IssuedSession[]): Promise<number[]> {
  log(`${driver}: latency: ending ${sessions.length} sessions one at a time, the first ${WARM_UP_REVOCATIONS} unmeasured`);
  const latencies: number[] = [];
  let timeouts = 0;
  for (const [index, session] of sessions.entries()) {
    const { respondedAt } = await revokeOne(url, key, session);
    try {
      const arrivedAt = await receiver.arrival(session.sessionId, ARRIVAL_TIMEOUT_MS);
      if (index >= WARM_UP_REVOCATIONS) latencies.push(arrivedAt - respondedAt);
    } catch (error) {
      log(`${driver}: latency: ${(error as Error).message}`);
      if (++timeouts > MAX_FAILURES) throw new Error(`${driver}: latency: more than ${MAX_FAILURES} events did not arrive`);
    }
  }
  return latencies;
}

/** Ends one session by the key; when its response arrived and how long the round trip took. */
async function revokeOne(url: string, key: string, { userId, sessionId }: IssuedSession): Promise<{ respondedAt: number; roundTripMs: number }> {
  const sentAt = performance.now();
  const response = await postGraphQL(url, { query: REVOKE, variables: { where: { userId, sessionIds: [sessionId] } } }, bearer(key));
  const respondedAt = performance.now();
  const ended = dataOf<{ revokeUserSessions: number }>(response).revokeUserSessions;
  if (ended !== 1) throw new Error(`revokeUserSessions ended ${ended} sessions for ${sessionId}, expected 1`);
  return { respondedAt, roundTripMs: respondedAt - sentAt };
}

// ---- overhead on the revoking request ----------------------------------------------------------

/**
 * One server, its endpoint enabled (on) or disabled (off) by batch: a disabled endpoint gets no
 * deliveries written, as if there were none. The sessions of both conditions are drawn alternately
 * from the same users. Back to back, the dispatcher works beside the next request; paced, each
 * delivery is over before the next request. After each "on" batch its events are awaited, so no
 * delivery overlaps an "off" batch.
 */
async function measureOverhead(driver: Driver, url: string, key: string, receiver: Receiver, prepared: Prepared) {
  const pools: Record<Condition, IssuedSession[]> = {
    on: prepared.overhead.filter((_, i) => i % 2 === 0),
    off: prepared.overhead.filter((_, i) => i % 2 === 1),
  };
  const ended: Record<Condition, IssuedSession[]> = { on: [], off: [] };
  const pacings: Array<[Pacing, number]> = [['back to back', 0], [`paced ${PACE_MS} ms`, PACE_MS]];
  const overhead: Overhead = new Map(pacings.map(([pacing]) => [pacing, { on: [], off: [] }]));

  const batch = async (condition: Condition, size: number, pauseMs: number, roundTrips?: number[]) => {
    await callGraphQL(url, condition === 'on' ? ENABLE_ENDPOINT : DISABLE_ENDPOINT, { id: prepared.endpointId }, key);
    const sessions = pools[condition].splice(0, size);
    for (const session of sessions) {
      const { roundTripMs } = await revokeOne(url, key, session);
      roundTrips?.push(roundTripMs);
      if (pauseMs > 0) await sleep(pauseMs);
    }
    if (condition === 'on') {
      // Missing events are reported as lost at the end.
      await receiver.waitForAll(sessions.map((session) => session.sessionId), ARRIVAL_TIMEOUT_MS).catch((error: Error) => log(`${driver}: overhead: ${error.message}`));
    }
    await sleep(BATCH_SETTLE_MS);
    ended[condition].push(...sessions);
  };

  log(`${driver}: overhead: ${WARM_UP_REVOCATIONS} unmeasured revocations each with the endpoint on and off`);
  for (const condition of ['on', 'off'] as const) await batch(condition, WARM_UP_REVOCATIONS, 0);
  const perRound = REVOCATIONS / ROUNDS;
  for (let round = 1; round <= ROUNDS; round++) {
    const order: Condition[] = round % 2 === 1 ? ['off', 'on'] : ['on', 'off'];
    for (const [pacing, pauseMs] of pacings) {
      for (const condition of order) await batch(condition, perRound, pauseMs, overhead.get(pacing)![condition]);
    }
    const medians = [...overhead].map(([pacing, { off, on }]) => `${pacing}: median off ${median(off).toFixed(2)} ms, on ${median(on).toFixed(2)} ms`);
    log(`${driver}: overhead: round ${round}/${ROUNDS}: ${medians.join('; ')}`);
  }
  // Enabled again, as it was, for what follows.
  await callGraphQL(url, ENABLE_ENDPOINT, { id: prepared.endpointId }, key);
  return { overhead, onSessions: ended.on, offSessions: ended.off };
}

// ---- report ------------------------------------------------------------------------------------

function printReport(results: DriverResult[]): void {
  console.log(machineLine());
  console.log(`latency: ${REVOCATIONS} single revokeUserSessions (after ${WARM_UP_REVOCATIONS} unmeasured), each awaited at the receiver; ms from the revoking response to the receiver getting session.ended`);
  console.log(`throughput: ${BACKLOG_EVENTS} session.ended events written by a server with WEBHOOK_DELIVERY=off, drained by a freshly started delivering server; first to last arrival`);
  console.log('  on Postgres also a second backlog drained after ANALYZE (a diagnostic: the first runs on tables never analyzed, as a fresh database has them)');
  console.log(`overhead: ${REVOCATIONS} single revocations per condition and pacing, with one endpoint (on) and none (off: endpoint disabled), alternating in ${ROUNDS} rounds on one server; HTTP round trip`);
  console.log(`  back to back: the next request goes as the previous one is answered; paced: ${PACE_MS} ms after it, when its delivery is over`);
  console.log('receiver: node:http in the bench process, answering 204 at once; goals apply to Postgres\n');
  printTable(['scenario', 'result', 'goal', ''], results.flatMap(summarise));
  console.log('');
  for (const result of results) for (const note of notesOf(result)) console.log(`${result.driver}: ${note}`);
}

function summarise({ driver, latency, drain, analyzedDrain, overhead, lost, duplicates, unexpected }: DriverResult): string[][] {
  const sorted = ascending(latency);
  const p99 = percentile(sorted, 99);
  const rows = [
    [`${driver}: delivery latency p50 / p99 / max`, `${ms(percentile(sorted, 50))} / ${ms(p99)} / ${ms(sorted.at(-1)!)} ms`, `p99 <= ${LATENCY_P99_BAR_MS} ms`, verdict(p99 <= LATENCY_P99_BAR_MS)],
    throughputRow(`${driver}: dispatcher throughput, ${drain.events} events`, drain),
  ];
  if (analyzedDrain) rows.push(throughputRow(`${driver}:   the same after ANALYZE (diagnostic)`, analyzedDrain));
  for (const [pacing, { off, on }] of overhead) {
    const ratio = median(on) / median(off);
    rows.push(
      [`${driver}: revoke ${pacing}, p50 off / on`, `${ms(median(off))} / ${ms(median(on))} ms`, '', ''],
      [`${driver}: revoke ${pacing}, p99 off / on`, `${ms(percentile(ascending(off), 99))} / ${ms(percentile(ascending(on), 99))} ms`, '', ''],
      [`${driver}: revoke ${pacing}, on/off of medians`, ratio.toFixed(3), `<= ${OVERHEAD_BAR.toFixed(2)}`, verdict(ratio <= OVERHEAD_BAR)],
    );
  }
  rows.push([`${driver}: events lost / duplicated / unexpected`, `${lost.length} / ${duplicates} / ${unexpected}`, '0 lost', verdict(lost.length === 0)]);
  return rows;
}

function throughputRow(scenario: string, { eventsPerSecond }: Drain): string[] {
  return [scenario, `${eventsPerSecond.toFixed(0)} events/s`, `>= ${THROUGHPUT_BAR} events/s`, verdict(eventsPerSecond >= THROUGHPUT_BAR)];
}

/** The CPU of each drain, what held the throughput back when it missed its goal, and every lost event. */
function notesOf({ drain, analyzedDrain, overhead, lost }: DriverResult): string[] {
  const notes = [`CPU while draining: ${describeCpu(drain)}`];
  if (analyzedDrain) notes.push(`CPU while draining after ANALYZE: ${describeCpu(analyzedDrain)}`);
  if (drain.eventsPerSecond < THROUGHPUT_BAR) notes.push(`throughput below ${THROUGHPUT_BAR} events/s: ${describeDrainLimit(drain, analyzedDrain)}`);
  const ratios = [...overhead.values()].map(({ off, on }) => median(on) / median(off));
  if (ratios[0]! > OVERHEAD_BAR && ratios[1]! <= OVERHEAD_BAR) {
    notes.push(`back to back over ${OVERHEAD_BAR.toFixed(2)} but paced within it: the cost is the dispatcher's work (claim, send, record) beside the next request, not the request's own`);
  }
  if (lost.length > 0) notes.push(`LOST: no session.ended for ${lost.slice(0, 10).join(', ')}${lost.length > 10 ? ` and ${lost.length - 10} more` : ''}`);
  return notes;
}

function describeCpu({ cpu }: Drain): string {
  return `server ${cpu.server.toFixed(0)}%, ${cpu.postgres === null ? '' : `postgres (all its processes) ${cpu.postgres.toFixed(0)}%, `}bench ${cpu.bench.toFixed(0)}% of a core`;
}

/** What the readings say held the drain back. */
function describeDrainLimit(drain: Drain, analyzed: Drain | null): string {
  if (analyzed && analyzed.eventsPerSecond >= 1.5 * drain.eventsPerSecond) {
    return `ANALYZE alone made it ${(analyzed.eventsPerSecond / drain.eventsPerSecond).toFixed(1)}x faster: without statistics on webhook_deliveries the claim query is planned badly, and one claim at a time holds every delivery`;
  }
  const { cpu } = drain;
  const total = cpu.server + (cpu.postgres ?? 0) + cpu.bench;
  if (cpu.server >= 90) return `the server process is CPU-bound (${cpu.server.toFixed(0)}% of a core, its JS on one thread)`;
  const cores = availableParallelism();
  if (total >= 90 * cores) return `the machine's ${cores} cores are saturated (server + postgres + bench = ${total.toFixed(0)}%)`;
  if (cpu.postgres !== null && cpu.postgres > cpu.server) return `postgres works more than the server (${cpu.postgres.toFixed(0)}% against ${cpu.server.toFixed(0)}%): its queries, one claim at a time, hold every delivery`;
  return `no process is CPU-bound (server ${cpu.server.toFixed(0)}%, total ${total.toFixed(0)}%): the dispatcher waits on round trips`;
}

function ascending(values: number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

function ms(value: number): string {
  return value.toFixed(2);
}

function verdict(isMet: boolean): string {
  return isMet ? 'met' : 'NOT met';
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
