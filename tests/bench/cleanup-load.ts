/**
 * The cleanup under load, on Postgres: with 1,000,000 ended and 100,000 live sessions, how many
 * rows a second it removes, and the authenticated request's p99 while it runs against without it.
 * The cleanup runs as `npm run cleanup` does (its own process, same database) while the server
 * serves `{ me { id } }`. Progress goes to stderr, the table to stdout.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import postgres from 'postgres';
import { benchDrivers, log, machineLine, percentile, postGraphQL, withServer } from './lib/harness.js';

const ENDED = 1_000_000;
const LIVE = 100_000;
const SEED_USERS = 1_000;
const CONNECTIONS = 10;
const BASELINE_SECONDS = 10;
const P99_BAR = 1.5;

const cleanupEntry = fileURLToPath(new URL('../../dist/scripts/cleanup.js', import.meta.url));

interface LoadStats {
  requests: number;
  p50Ms: number;
  p99Ms: number;
}

async function main(): Promise<void> {
  const postgresDriver = benchDrivers().find(({ driver }) => driver === 'postgres');
  if (!postgresDriver) {
    log('cleanup: skipped (needs BENCH_DATABASE_URL or TEST_DATABASE_URL)');
    return;
  }
  await postgresDriver.withDatabase((env) => withServer(env, async (url) => {
    const token = await signUp(url);
    await seed(env.DATABASE_URL!);
    log('cleanup: baseline load');
    const baseline = await load(url, token, new Promise((resolve) => setTimeout(resolve, BASELINE_SECONDS * 1000)));
    log('cleanup: load while the cleanup runs');
    const cleanup = runCleanup(env.DATABASE_URL!);
    const during = await load(url, token, cleanup.then(() => undefined));
    report(baseline, during, await cleanup);
  }));
}

async function signUp(url: string): Promise<string> {
  const response = await postGraphQL(url, {
    query: 'mutation($input: SignUpInput!) { signUp(input: $input) { accessToken } }',
    variables: { input: { email: `bench-${randomBytes(6).toString('hex')}@example.com`, password: 'correct horse battery staple' } },
  });
  const token = (JSON.parse(response.text) as { data?: { signUp?: { accessToken: string } } }).data?.signUp?.accessToken;
  if (!token) throw new Error(`signUp failed: ${response.text}`);
  return token;
}

/** Ended sessions revoked 40 days ago (past the 30-day retention) and live ones, spread over many users. */
async function seed(databaseUrl: string): Promise<void> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const startedAt = Date.now();
    await sql`INSERT INTO users (email, password_hash, created_at) SELECT 'seed-' || n || '@example.com', 'not-a-hash', now() FROM generate_series(1, ${SEED_USERS}) AS n`;
    for (const [count, revoked] of [[ENDED, true], [LIVE, false]] as const) {
      await sql`
        WITH u AS (SELECT array_agg(id) AS ids FROM users WHERE email LIKE 'seed-%')
        INSERT INTO sessions (user_id, access_token_hash, refresh_token_hash, device_name, device_type, created_at, last_active_at, expires_at, revoked_at, revoked_reason)
        SELECT u.ids[1 + n % ${SEED_USERS}], md5('a' || n || ${String(revoked)}), md5('r' || n || ${String(revoked)}), 'Seeded device', 'DESKTOP',
          now() - interval '50 days', CASE WHEN ${revoked} THEN now() - interval '45 days' ELSE now() END, now() + interval '20 days',
          CASE WHEN ${revoked} THEN now() - interval '40 days' END, CASE WHEN ${revoked} THEN 'REVOKED'::revocation_reason END
        FROM u, generate_series(1, ${count}) AS n`;
    }
    await sql`VACUUM ANALYZE sessions`;
    log(`cleanup: seeded ${ENDED} ended and ${LIVE} live sessions in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  } finally {
    await sql.end();
  }
}

/** `{ me { id } }` with a bearer token until `until` settles; every response must be 200. */
async function load(url: string, token: string, until: Promise<unknown>): Promise<LoadStats> {
  const instance = autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: '{ me { id } }' }),
    connections: CONNECTIONS,
    duration: 600,
  });
  const latencies: number[] = [];
  instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  void until.finally(() => instance.stop());
  const result = await instance;
  if (result.errors + result.timeouts + result.non2xx > 0) throw new Error(`failed requests: ${JSON.stringify({ errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx })}`);
  latencies.sort((x, y) => x - y);
  return { requests: latencies.length, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
}

interface CleanupRun {
  sessions: number;
  durationMs: number;
}

/** `node dist/scripts/cleanup.js`, reading what it removed from its log line. */
async function runCleanup(databaseUrl: string): Promise<CleanupRun> {
  const child = spawn(process.execPath, [cleanupEntry], {
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: databaseUrl, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`cleanup exited with ${code}`);
  const line = output.split('\n').find((entry) => entry.includes('"cleanup removed old rows"'));
  if (!line) throw new Error(`cleanup did not report:\n${output}`);
  const { removed, durationMs } = JSON.parse(line) as { removed: { sessions: number }; durationMs: number };
  if (removed.sessions !== ENDED) throw new Error(`cleanup removed ${removed.sessions} sessions, expected ${ENDED}`);
  return { sessions: removed.sessions, durationMs };
}

function report(baseline: LoadStats, during: LoadStats, cleanup: CleanupRun): void {
  const ratio = during.p99Ms / baseline.p99Ms;
  console.log(machineLine());
  console.log(`cleanup of ${ENDED} ended sessions beside ${LIVE} live ones, batches of 5,000; load: ${CONNECTIONS} connections of { me { id } }`);
  console.log(`cleanup: ${cleanup.sessions} rows in ${(cleanup.durationMs / 1000).toFixed(1)} s = ${Math.round(cleanup.sessions / (cleanup.durationMs / 1000))} rows/s`);
  console.log(`without cleanup (${BASELINE_SECONDS} s): ${baseline.requests} requests, p50 ${baseline.p50Ms.toFixed(2)} ms, p99 ${baseline.p99Ms.toFixed(2)} ms`);
  console.log(`during cleanup:          ${during.requests} requests, p50 ${during.p50Ms.toFixed(2)} ms, p99 ${during.p99Ms.toFixed(2)} ms`);
  console.log(`p99 ratio ${ratio.toFixed(2)} (bar <= ${P99_BAR}): ${ratio <= P99_BAR ? 'met' : 'NOT met'}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
