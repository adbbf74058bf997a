/**
 * What request ids, metrics and the GraphQL limits cost: throughput of the authenticated
 * `{ me { id } }` on the server as it ships (full) against the same build started without them
 * (bare), both running at once on one database and loaded in turn. Progress goes to stderr, the
 * table to stdout.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { benchDrivers, log, machineLine, median, withServer, type DatabaseEnv, type Driver } from './lib/harness.js';
import { CONNECTIONS, runLoad, signUp, type Load, type RoundStats } from './lib/load.js';

const WARMUP_SECONDS = 2;
const ROUND_SECONDS = 5;
const ROUNDS = 5;
const RATIO_BAR = 0.95;
const entry = fileURLToPath(new URL('./lib/surface-server.ts', import.meta.url));

interface DriverResult {
  driver: Driver;
  full: RoundStats[];
  bare: RoundStats[];
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
  const start = (variant: 'full' | 'bare') => <T>(use: (url: string) => Promise<T>) =>
    withServer(env, use, { nodeArgs: ['--import', 'tsx'], entry: [entry, variant] });
  return start('full')((fullUrl) =>
    start('bare')(async (bareUrl) => {
      const load = await defineLoad(fullUrl);
      log(`${driver}: warm-up`);
      for (const url of [fullUrl, bareUrl]) await runLoad(url, load, WARMUP_SECONDS);
      const result: DriverResult = { driver, full: [], bare: [] };
      for (let round = 1; round <= ROUNDS; round++) {
        result.full.push(await runLoad(fullUrl, load, ROUND_SECONDS));
        result.bare.push(await runLoad(bareUrl, load, ROUND_SECONDS));
        log(`${driver}: round ${round}/${ROUNDS}: full ${result.full.at(-1)!.requestsPerSecond.toFixed(0)} req/s, bare ${result.bare.at(-1)!.requestsPerSecond.toFixed(0)} req/s`);
      }
      return result;
    }),
  );
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
  console.log(`load: { me { id } } with a bearer token, ${CONNECTIONS} connections, ${WARMUP_SECONDS} s warm-up each, then ${ROUNDS} rounds of full and bare alternating, ${ROUND_SECONDS} s each`);
  console.log('full = request ids, metrics and GraphQL limits on (as shipped); bare = the same build without them; medians across rounds\n');
  const header = ['driver', 'full req/s', 'bare req/s', 'full/bare (pairs)', 'full p50/p99 ms', 'bare p50/p99 ms', `full/bare >= ${RATIO_BAR}`];
  const rows = results.map(summarise);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  console.log(line(header));
  for (const row of rows) console.log(line(row));
}

function summarise({ driver, full, bare }: DriverResult): string[] {
  const pairRatio = median(full.map((round, i) => round.requestsPerSecond / bare[i]!.requestsPerSecond));
  const latency = (rounds: RoundStats[]) =>
    `${median(rounds.map((round) => round.p50Ms)).toFixed(2)} / ${median(rounds.map((round) => round.p99Ms)).toFixed(2)}`;
  return [
    driver,
    median(full.map((round) => round.requestsPerSecond)).toFixed(0),
    median(bare.map((round) => round.requestsPerSecond)).toFixed(0),
    pairRatio.toFixed(3),
    latency(full),
    latency(bare),
    pairRatio >= RATIO_BAR ? 'met' : 'NOT met',
  ];
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
