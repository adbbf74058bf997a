/**
 * What request ids, metrics and the GraphQL limits cost: the authenticated `{ me { id } }` on the
 * server as it ships (full) against the same services, schema and HTTP endpoint assembled without
 * them inside this benchmark (bare, `lib/surface-server.ts`), both running at
 * once on one database and loaded in turn. Besides throughput, each round reads the server's own
 * CPU time per request, which the other tenants of a shared machine disturb far less: at full
 * load the server is CPU-bound, so bare/full CPU per request is the throughput full keeps.
 * Progress goes to stderr, the table to stdout.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { benchDrivers, cpuSeconds, log, machineLine, median, printTable, withServer, type DatabaseEnv, type Driver } from './lib/harness.js';
import { CONNECTIONS, runLoad, signUp, type Load, type RoundStats } from './lib/load.js';

const WARMUP_SECONDS = 2;
const ROUND_SECONDS = 4;
const ROUNDS = 8;
const RATIO_BAR = 0.95;
const entry = fileURLToPath(new URL('./lib/surface-server.ts', import.meta.url));

interface DriverResult {
  driver: Driver;
  full: Round[];
  bare: Round[];
}

interface Round extends RoundStats {
  /** The server's CPU time (all threads) per response, in microseconds. */
  cpuMicros: number;
}

type Variant = 'full' | 'bare';

interface Target {
  url: string;
  pid: number;
}

async function main(): Promise<void> {
  const results: DriverResult[] = [];
  for (const { driver, withDatabase } of benchDrivers()) {
    if (driver === 'pglite') {
      log('pglite: skipped (two servers cannot share one embedded database)');
      continue;
    }
    log(`${driver}: starting both servers`);
    results.push(await withDatabase((databaseEnv) => benchDriver(driver, databaseEnv)));
  }
  printReport(results);
}

async function benchDriver(driver: Driver, databaseEnv: DatabaseEnv): Promise<DriverResult> {
  // One secret for both, so that one token works on either.
  const env = { ...databaseEnv, AUTH_SECRET: randomBytes(32).toString('hex') };
  const start = (variant: Variant) => <T>(use: (target: Target) => Promise<T>) =>
    withServer(env, (url, { pid }) => use({ url, pid }), { nodeArgs: ['--import', 'tsx'], entry: [entry, variant] });
  const result: DriverResult = { driver, full: [], bare: [] };
  // Two identical servers measured this way differ by several percent in favour of the one started
  // second, so each variant is started first once, for half the rounds.
  for (const [first, second] of [['full', 'bare'], ['bare', 'full']] as const) {
    await start(first)((a) =>
      start(second)(async (b) => {
        const targets = { [first]: a, [second]: b } as Record<Variant, Target>;
        const load = await defineLoad(targets.full.url);
        log(`${driver}: ${first} started first: warm-up`);
        for (const target of [a, b]) await runLoad(target.url, load, WARMUP_SECONDS);
        for (let round = 1; round <= ROUNDS / 2; round++) {
          // Which goes first alternates too, so that a drift of the shared machine favours neither.
          const order = round % 2 === 1 ? [first, second] : [second, first];
          for (const variant of order) result[variant].push(await measureRound(targets[variant], load));
          const [f, b] = [result.full.at(-1)!, result.bare.at(-1)!];
          log(`${driver}: round ${result.full.length}/${ROUNDS}: full ${f.requestsPerSecond.toFixed(0)} req/s ${f.cpuMicros.toFixed(0)} µs CPU, bare ${b.requestsPerSecond.toFixed(0)} req/s ${b.cpuMicros.toFixed(0)} µs CPU`);
        }
      }),
    );
  }
  return result;
}

async function measureRound(target: Target, load: Load): Promise<Round> {
  const cpuBefore = await cpuSeconds(target.pid);
  const stats = await runLoad(target.url, load, ROUND_SECONDS);
  const cpu = (await cpuSeconds(target.pid)) - cpuBefore;
  return { ...stats, cpuMicros: (cpu / stats.requests) * 1e6 };
}

async function defineLoad(url: string): Promise<Load> {
  const { accessToken, userId } = await signUp(url);
  return {
    name: 'me',
    body: JSON.stringify({ query: '{ me { id } }' }),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
    expected: { data: { me: { id: userId } } },
  };
}

function printReport(results: DriverResult[]): void {
  console.log(machineLine());
  console.log(`load: { me { id } } with a bearer token, ${CONNECTIONS} connections, ${WARMUP_SECONDS} s warm-up each, then ${ROUNDS} rounds of full and bare, ${ROUND_SECONDS} s each; each variant started first for half the rounds, and which is loaded first alternating`);
  console.log('full = request ids, metrics and GraphQL limits on (as shipped); bare = the same services, schema and endpoint without them; medians across rounds, ratios medians of pairs');
  console.log('CPU = the server process its own CPU time (all threads) per response; bare/full CPU is the throughput full keeps when CPU-bound\n');
  const header = ['driver', 'full req/s', 'bare req/s', 'full/bare req/s', 'full CPU µs/req', 'bare CPU µs/req', 'bare/full CPU', 'full p50/p99 ms', 'bare p50/p99 ms', `CPU ratio >= ${RATIO_BAR}`];
  const rows = results.map(summarise);
  printTable(header, rows);
}

function summarise({ driver, full, bare }: DriverResult): string[] {
  const pairRatio = median(full.map((round, i) => round.requestsPerSecond / bare[i]!.requestsPerSecond));
  const cpuRatio = median(bare.map((round, i) => round.cpuMicros / full[i]!.cpuMicros));
  const latency = (rounds: Round[]) =>
    `${median(rounds.map((round) => round.p50Ms)).toFixed(2)} / ${median(rounds.map((round) => round.p99Ms)).toFixed(2)}`;
  return [
    driver,
    median(full.map((round) => round.requestsPerSecond)).toFixed(0),
    median(bare.map((round) => round.requestsPerSecond)).toFixed(0),
    pairRatio.toFixed(3),
    median(full.map((round) => round.cpuMicros)).toFixed(0),
    median(bare.map((round) => round.cpuMicros)).toFixed(0),
    cpuRatio.toFixed(3),
    latency(full),
    latency(bare),
    cpuRatio >= RATIO_BAR ? 'met' : 'NOT met',
  ];
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
