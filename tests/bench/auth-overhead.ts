/**
 * What the per-request auth check costs: throughput of an authenticated `{ me { id } }` (A)
 * against an unauthenticated `{ __typename }` (B), on the built server running as its own
 * process, for each database driver. Progress goes to stderr, the table to stdout.
 */
import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import autocannon from 'autocannon';
import { benchDrivers, log, machineLine, median, percentile, postGraphQL, withServer, type Driver, type WithDatabase } from './lib/harness.js';

const CONNECTIONS = 10;
const WARMUP_SECONDS = 2;
const ROUND_SECONDS = 5;
const ROUNDS = 4;
const RATIO_BAR = 0.85;

interface Load {
  name: 'A' | 'B';
  body: string;
  headers: Record<string, string>;
  expected: unknown;
}

interface RoundStats {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

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

async function signUp(url: string): Promise<{ accessToken: string; userId: string }> {
  const response = await postGraphQL(url, {
    query: 'mutation($input: SignUpInput!) { signUp(input: $input) { accessToken user { id } } }',
    variables: { input: { email: `bench-${randomBytes(6).toString('hex')}@example.com`, password: 'correct horse battery staple' } },
  });
  const payload = (JSON.parse(response.text) as { data?: { signUp?: { accessToken: string; user: { id: string } } } }).data?.signUp;
  if (response.status !== 200 || !payload) throw new Error(`signUp failed (HTTP ${response.status}): ${response.text}`);
  return { accessToken: payload.accessToken, userId: payload.user.id };
}

/**
 * Runs one load for `seconds`. Its first response is checked against the expected data, and
 * every later one must repeat that exact body: a fast error would otherwise pass for speed.
 */
async function runLoad(url: string, load: Load, seconds: number): Promise<RoundStats> {
  const expectedBody = await checkFirstResponse(url, load);
  const instance = autocannon({
    url,
    method: 'POST',
    headers: load.headers,
    body: load.body,
    connections: CONNECTIONS,
    duration: seconds,
    expectBody: expectedBody,
  });
  // autocannon's own latency histogram truncates to whole milliseconds, too coarse at this speed.
  const latencies: number[] = [];
  instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  const result = await instance;
  const failures = { errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx, mismatches: result.mismatches };
  if (Object.values(failures).some((count) => count > 0)) {
    throw new Error(`load ${load.name} had failed requests: ${JSON.stringify(failures)}`);
  }
  latencies.sort((x, y) => x - y);
  return { requestsPerSecond: result.requests.average, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
}

async function checkFirstResponse(url: string, load: Load): Promise<string> {
  const response = await postGraphQL(url, load.body, load.headers);
  if (response.status !== 200 || !isDeepStrictEqual(JSON.parse(response.text), load.expected)) {
    throw new Error(`load ${load.name}: expected ${JSON.stringify(load.expected)}, got HTTP ${response.status}: ${response.text}`);
  }
  return response.text;
}

// ---- report --------------------------------------------------------------------------------

function printReport(results: DriverResult[]): void {
  console.log(machineLine());
  console.log(`load: ${CONNECTIONS} connections, ${WARMUP_SECONDS} s warm-up each, then ${ROUNDS} rounds of A and B alternating, ${ROUND_SECONDS} s each`);
  console.log('A = { me { id } } with a bearer token; B = { __typename } without; medians across rounds\n');
  const header = ['driver', 'A req/s', 'B req/s', 'A/B (pairs)', 'A/B (medians)', 'A p50/p99 ms', 'B p50/p99 ms', `A/B >= ${RATIO_BAR}`];
  const rows = results.map(summarise);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  console.log(line(header));
  for (const row of rows) console.log(line(row));
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
