/**
 * A fleet under a revocation storm, and what the session event bus costs the requests that write
 * to it, for each bus (BENCH_BUSES, default postgres,redis), on Postgres only: several instances
 * must share one database. Sessions are issued and revoked by a service key, so no password
 * hashing competes for the CPU. Every revoked session's socket is checked: a missed event or a
 * wrong close fails the run. Progress goes to stderr, the report to stdout.
 */
import { loadavg } from 'node:os';
import { log, residentKiB, scratchPostgres, withServer, type DatabaseEnv } from './lib/harness.js';
import { ClientWorkers, type ClockCheck } from './lib/client-workers.js';
import { planStorms, planUsers, seededRandom, type IssuedSession, type IssuedUser, type Revocation } from './lib/fleet-plan.js';
import { countPostgresBusListeners, issueFleetSessions, startFleet, waitForSubscriptions, type Fleet } from './lib/fleet.js';
import { printReport, type BusResult, type StormResult, type WriterCell } from './lib/fleet-report.js';
import { watchUsage } from './lib/fleet-usage.js';
import { openIdleListeners, type Bus } from './lib/idle-listeners.js';
import { readSizes, type Sizes } from './lib/fleet-sizes.js';
import { createServiceKey } from './lib/service-key.js';
import { checkDeliveries, DELIVERY_TIMEOUT_MS, runStorm } from './lib/storm.js';
import { IDLE_LISTENER_COUNTS, measureIssues, measureRevokes, topUp, WARM_UP_WRITE_SECONDS, WRITE_SECONDS } from './lib/writer-load.js';

const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** The server's settings for every run: one user may hold 500 sockets, and no token expires during the bench. */
const SERVER_ENV = { MAX_SESSIONS_PER_USER: '10000', ACCESS_TOKEN_TTL_SECONDS: '3600' };
const SCOPES = 'sessions:issue,sessions:revoke';
/** A warm-up's revocations run cold and short, so the first estimate of their rate is low. */
const POOL_MARGIN = 1.8;

async function main(): Promise<void> {
  const startedAt = performance.now();
  const [loadAtStart] = loadavg();
  const sizes = readSizes();
  const buses = (process.env.BENCH_BUSES ?? 'postgres,redis').split(',').map(parseBus);
  const withDatabase = scratchPostgres();
  const results: BusResult[] = [];
  for (const bus of buses) {
    const env = (database: DatabaseEnv) => ({ ...database, ...SERVER_ENV, SESSION_BUS: bus, REDIS_URL });
    const idle = await withDatabase((database) => measureIdleListenerCells(bus, env(database)));
    const fleet = await withDatabase((database) => measureFleet(bus, sizes, env(database), poolFor(idle.revokeRate)));
    results.push({ bus, ...fleet, writerCells: [...idle.cells, fleet.writerCell] });
  }
  printReport(sizes, results, (performance.now() - startedAt) / 1000, loadAtStart!);
  if (results.some((result) => result.failures.length > 0)) process.exitCode = 1;
}

function parseBus(name: string): Bus {
  if (name !== 'postgres' && name !== 'redis') throw new Error(`BENCH_BUSES: unknown bus ${JSON.stringify(name)} (postgres, redis)`);
  return name;
}

// ---- writers beside idle listeners -------------------------------------------------------------

/**
 * One instance; per count of idle listeners, issueSession then revocations, after an unmeasured
 * warm-up. Also the fastest revocation rate seen, which sizes the pools of later cells.
 */
async function measureIdleListenerCells(bus: Bus, env: DatabaseEnv): Promise<{ cells: WriterCell[]; revokeRate: number }> {
  const key = await createServiceKey(env, SCOPES);
  return withServer(env, async (url) => {
    log(`${bus}: writers: warming up for ${2 * WARM_UP_WRITE_SECONDS} s`);
    const pool = (await measureIssues(url, key, WARM_UP_WRITE_SECONDS, 'warm-up')).issued;
    let revokeRate = (await measureRevokes(url, key, WARM_UP_WRITE_SECONDS, pool)).requestsPerSecond;
    const cells: WriterCell[] = [];
    for (const count of IDLE_LISTENER_COUNTS) {
      // Before the listeners are opened, so that all they receive is the cell's.
      await topUp(url, key, pool, poolFor(revokeRate), `reserve-${count}`);
      const listeners = await openIdleListeners(bus, count, { databaseUrl: env.DATABASE_URL!, redisUrl: REDIS_URL });
      try {
        log(`${bus}: writers beside ${count} idle listeners: ${WRITE_SECONDS} s of issueSession, then ${WRITE_SECONDS} s of revocations`);
        const issue = await measureIssues(url, key, WRITE_SECONDS, `idle-${count}`);
        const revoke = await measureRevokes(url, key, WRITE_SECONDS, pool);
        revokeRate = Math.max(revokeRate, revoke.requestsPerSecond);
        cells.push({ condition: `${count} idle listeners`, issue: issue.stats, revoke, listenerMessages: count > 0 ? listeners.received() : null });
      } finally {
        await listeners.close();
      }
    }
    return { cells, revokeRate };
  });
}

/** Sessions enough for a revocation cell at `revokeRate`, with a margin. */
function poolFor(revokeRate: number): number {
  return Math.ceil(revokeRate * WRITE_SECONDS * POOL_MARGIN);
}

// ---- the fleet ---------------------------------------------------------------------------------

type FleetResult = Omit<BusResult, 'bus' | 'writerCells'> & { writerCell: WriterCell };

/** What a storm runs on. */
interface Stage {
  fleet: Fleet;
  workers: ClientWorkers;
  key: string;
  rate: number;
  databaseUrl: string;
}

/** `reserveCount` sessions, issued beforehand, are there for the writers' revocations beside the second storm. */
async function measureFleet(bus: Bus, sizes: Sizes, env: DatabaseEnv, reserveCount: number): Promise<FleetResult> {
  const key = await createServiceKey(env, SCOPES);
  log(`${bus}: starting ${sizes.instances} instances`);
  const fleet = await startFleet(env, sizes.instances);
  try {
    const postgresBusListeners = await countPostgresBusListeners(env.DATABASE_URL!);
    const setupStartedAt = performance.now();
    const random = seededRandom();
    const users = await issueFleetSessions(fleet.urls, key, planUsers(sizes.sockets, `fleet-${bus}`, random));
    const storms = planStorms(users, sizes.rate * sizes.seconds, sizes.rate * 2 * WRITE_SECONDS, random);
    const reserve: IssuedSession[] = [];
    await topUp(fleet.urls[0]!, key, reserve, reserveCount, 'reserve');
    const workers = ClientWorkers.start(sizes.sockets);
    try {
      const clocks = await openSockets(bus, fleet, workers, users);
      const setupSeconds = (performance.now() - setupStartedAt) / 1000;
      const stage = { fleet, workers, key, rate: sizes.rate, databaseUrl: env.DATABASE_URL! };
      log(`${bus}: storm: ${storms.main.length} revocations at ${sizes.rate}/s`);
      const main = await measureStorm(stage, storms.main);
      log(`${bus}: a second storm of ${storms.second.length} at ${sizes.rate}/s, beside writers on instance 1`);
      const { storm: second, cell } = await measureStormBesideWriters(stage, storms.second, reserve);
      await workers.flush();
      const failures = [...main.deliveries.failures, ...second.deliveries.failures, ...strayOutcomes(workers, [...storms.main, ...storms.second])];
      const writerCell = { ...cell, condition: `storm at ${sizes.rate}/s on ${sizes.instances} instances` };
      return { workers: workers.pids.length, postgresBusListeners, setupSeconds, clocks, main, second, failures, writerCell };
    } finally {
      await workers.close();
    }
  } finally {
    await fleet.stop();
  }
}

/** One socket per session, each to the next instance in turn, so a user's devices are spread over the fleet. */
async function openSockets(bus: Bus, fleet: Fleet, workers: ClientWorkers, users: IssuedUser[]): Promise<ClockCheck> {
  const sockets = users.flatMap((user) => user.sessions).map(({ sessionId, accessToken }, i) => ({ url: fleet.urls[i % fleet.urls.length]!, sessionId, accessToken }));
  log(`${bus}: opening ${sockets.length} subscribed sockets from ${workers.pids.length} client processes`);
  const startedAt = performance.now();
  await workers.open(sockets);
  await waitForSubscriptions(fleet.urls, sockets.length);
  const clientMiB = await Promise.all(workers.pids.map(async (pid) => ((await residentKiB(pid)) / 1024).toFixed(0)));
  log(`${bus}: ${sockets.length} sockets open and subscribed in ${((performance.now() - startedAt) / 1000).toFixed(1)} s; client processes' RSS ${clientMiB.join(', ')} MiB`);
  return workers.checkClocks();
}

/** The storm, every socket it closes checked, and what each process used from its first request to the last socket's close. */
async function measureStorm({ fleet, workers, key, rate, databaseUrl }: Stage, plan: Revocation[]): Promise<StormResult> {
  const usage = await watchUsage(fleet.pids, workers.pids, databaseUrl);
  const sent = await runStorm(fleet.urls, key, plan, rate);
  const deliveries = await checkDeliveries(sent, workers, DELIVERY_TIMEOUT_MS);
  return { rate, sent, deliveries, usage: await usage.stop() };
}

/** A storm of single revocations, and beside it issueSession then revocations (from `pool`) on the first instance. */
async function measureStormBesideWriters(stage: Stage, plan: Revocation[], pool: IssuedSession[]) {
  const storm = measureStorm(stage, plan);
  const url = stage.fleet.urls[0]!;
  const issue = await measureIssues(url, stage.key, WRITE_SECONDS, 'beside-storm');
  const revoke = await measureRevokes(url, stage.key, WRITE_SECONDS, pool);
  return { storm: await storm, cell: { issue: issue.stats, revoke, listenerMessages: null } };
}

/** Sockets of sessions no storm ended that nevertheless got an event or were closed: each is a failure. */
function strayOutcomes(workers: ClientWorkers, revocations: Revocation[]): string[] {
  const revoked = new Set(revocations.flatMap((revocation) => revocation.sessionIds));
  return [...workers.outcomes.values()]
    .filter((outcome) => !revoked.has(outcome.sessionId))
    .map((outcome) => `session ${outcome.sessionId} was not revoked, yet its socket closed with ${outcome.closeCode}${outcome.eventAt === null ? '' : ' after an event'}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
