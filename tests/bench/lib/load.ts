/** One HTTP load and its checks, shared by the benchmarks that compare two loads or two servers. */
import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import autocannon from 'autocannon';
import { percentile, postGraphQL } from './harness.js';

export const CONNECTIONS = 10;

export interface Load {
  name: string;
  body: string;
  headers: Record<string, string>;
  expected: unknown;
  /** Headers of each request on top of `headers`, taken as it is sent (a DPoP proof, used once). */
  nextHeaders?: () => Record<string, string>;
}

export interface RoundStats {
  requestsPerSecond: number;
  /** Responses in the round. */
  requests: number;
  p50Ms: number;
  p99Ms: number;
}

export async function signUp(url: string): Promise<{ accessToken: string; userId: string }> {
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
export async function runLoad(url: string, load: Load, seconds: number): Promise<RoundStats> {
  const expectedBody = await checkFirstResponse(url, load);
  // autocannon checks bodies itself only for requests it does not change; those are checked here.
  let changedMismatches = 0;
  const changed = load.nextHeaders && {
    setupRequest: (request: { headers?: Record<string, string | string[] | undefined>; body?: string }) => ({ ...request, headers: { ...load.headers, ...load.nextHeaders!() } }),
    onResponse: (_status: number, body: string) => { if (body !== expectedBody) changedMismatches += 1; },
  };
  const instance = autocannon({
    url,
    method: 'POST',
    headers: load.headers,
    body: load.body,
    connections: CONNECTIONS,
    duration: seconds,
    ...(changed ? { requests: [changed] } : { expectBody: expectedBody }),
  });
  // autocannon's own latency histogram truncates to whole milliseconds, too coarse at this speed.
  const latencies: number[] = [];
  instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  const result = await instance;
  const failures = { errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx, mismatches: result.mismatches + changedMismatches };
  if (Object.values(failures).some((count) => count > 0)) {
    throw new Error(`load ${load.name} had failed requests: ${JSON.stringify(failures)}`);
  }
  latencies.sort((x, y) => x - y);
  return { requestsPerSecond: result.requests.average, requests: result.requests.total, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
}

async function checkFirstResponse(url: string, load: Load): Promise<string> {
  const response = await postGraphQL(url, load.body, { ...load.headers, ...load.nextHeaders?.() });
  if (response.status !== 200 || !isDeepStrictEqual(JSON.parse(response.text), load.expected)) {
    throw new Error(`load ${load.name}: expected ${JSON.stringify(load.expected)}, got HTTP ${response.status}: ${response.text}`);
  }
  return response.text;
}

