/**
 * What the per-request auth check costs: throughput of an authenticated `{ me { id } }` (A)
 * against an unauthenticated `{ __typename }` (B), on the built server running as its own
 * process, for each database driver. Progress goes to stderr, the table to stdout.
 */
import { benchDrivers, log, machineLine, median, printTable, withServer, type Driver, type WithDatabase } from './lib/harness.js';
import { CONNECTIONS, runLoad, signUp, type Load, type RoundStats } from './lib/load.js';

const WARMUP_SECONDS = 2;
const ROUND_SECONDS = 5;
const ROUNDS = 4;
const RATIO_BAR = 0.85;

interface DriverResult {
  driver: Driver;
  a: RoundStats[];
  b: RoundStats[];
}

async function main(): Promise<void> {
  const results: DriverResult[] = [];
  for (const { driver, withDatabase } of benchDrivers()) results.push(await benchDriver(driver, withDatabase));
  printReport(results);
}

async function benchDriver(driver: Driver, withDatabase: WithDatabase): Promise<DriverResult> {
  log(`${driver}: starting server`);
  return withDatabase((databaseEnv) =>
    withServer(databaseEnv, async (url) => {
      const [a, b] = await defineLoads(url);
      log(`${driver}: warm-up`);
      for (const load of [a, b]) await runLoad(url, load, WARMUP_SECONDS);
      const result: DriverResult = { driver, a: [], b: [] };
      for (let round = 1; round <= ROUNDS; round++) {
        result.a.push(await runLoad(url, a, ROUND_SECONDS));
        result.b.push(await runLoad(url, b, ROUND_SECONDS));
        log(`${driver}: round ${round}/${ROUNDS}: A ${result.a.at(-1)!.requestsPerSecond.toFixed(0)} req/s, B ${result.b.at(-1)!.requestsPerSecond.toFixed(0)} req/s`);
      }
      return result;
    }),
  );
}

// ---- loads ---------------------------------------------------------------------------------

async function defineLoads(url: string): Promise<[Load, Load]> {
  const { accessToken, userId } = await signUp(url);
  return [
    {
      name: 'A',
      body: JSON.stringify({ query: '{ me { id } }' }),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
      expected: { data: { me: { id: userId } } },
    },
    {
      name: 'B',
      body: JSON.stringify({ query: '{ __typename }' }),
      headers: { 'content-type': 'application/json' },
      expected: { data: { __typename: 'Query' } },
    },
  ];
}

// ---- report --------------------------------------------------------------------------------

function printReport(results: DriverResult[]): void {
  console.log(machineLine());
  console.log(`load: ${CONNECTIONS} connections, ${WARMUP_SECONDS} s warm-up each, then ${ROUNDS} rounds of A and B alternating, ${ROUND_SECONDS} s each`);
  console.log('A = { me { id } } with a bearer token; B = { __typename } without; medians across rounds\n');
  const header = ['driver', 'A req/s', 'B req/s', 'A/B (pairs)', 'A/B (medians)', 'A p50/p99 ms', 'B p50/p99 ms', `A/B >= ${RATIO_BAR}`];
  const rows = results.map(summarise);
  printTable(header, rows);
}

function summarise({ driver, a, b }: DriverResult): string[] {
  const aRate = median(a.map((round) => round.requestsPerSecond));
  const bRate = median(b.map((round) => round.requestsPerSecond));
  const pairRatio = median(a.map((round, i) => round.requestsPerSecond / b[i]!.requestsPerSecond));
  // The bar is set for Postgres; PGlite is reported for comparison only.
  const verdict = driver === 'postgres' ? (pairRatio >= RATIO_BAR ? 'met' : 'NOT met') : '-';
  const latency = (rounds: RoundStats[]) =>
    `${median(rounds.map((round) => round.p50Ms)).toFixed(2)} / ${median(rounds.map((round) => round.p99Ms)).toFixed(2)}`;
  return [driver, aRate.toFixed(0), bRate.toFixed(0), pairRatio.toFixed(3), (aRate / bRate).toFixed(3), latency(a), latency(b), verdict];
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
