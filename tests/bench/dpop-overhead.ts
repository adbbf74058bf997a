/**
 * What binding a session to its device (DPoP) costs a request: throughput and server CPU per
 * request of `{ me { id } }` with a DPoP-bound token and a fresh proof each time (D), against the
 * same with a bearer token (A), on the built server as its own process, for each driver. Proofs
 * are signed before each round (ES256, node:crypto), so the bench's own signing competes with the
 * server for no CPU while measured. Last, one signature check is timed alone, and the report
 * prints how far a bound request could reach if it cost only that. Progress goes to stderr, the
 * table to stdout.
 */
import { createHash, generateKeyPairSync, randomUUID, sign, verify, type KeyObject } from 'node:crypto';
import { benchDrivers, cpuSeconds, log, machineLine, median, postGraphQL, printTable, withServer, type Driver, type WithDatabase } from './lib/harness.js';
import { CONNECTIONS, runLoad, signUp, type Load, type RoundStats } from './lib/load.js';

const WARMUP_SECONDS = 2;
const ROUND_SECONDS = 5;
const ROUNDS = 4;
const RATIO_BAR = 0.8;
/** More than a round sends on this machine; a round that runs out fails rather than reusing one (which the server refuses). */
const PROOFS_PER_ROUND = 30_000;

interface Measured extends RoundStats {
  cpuMsPerRequest: number;
}

interface DriverResult {
  driver: Driver;
  bearer: Measured[];
  bound: Measured[];
}

async function main(): Promise<void> {
  const results: DriverResult[] = [];
  for (const { driver, withDatabase } of benchDrivers()) results.push(await benchDriver(driver, withDatabase));
  printReport(results, signatureCheckMs());
}

async function benchDriver(driver: Driver, withDatabase: WithDatabase): Promise<DriverResult> {
  log(`${driver}: starting server`);
  return withDatabase((databaseEnv) =>
    withServer(databaseEnv, async (url, server) => {
      const bearer = await bearerLoad(url);
      const bound = await boundLoad(url);
      const measure = async (load: Load, seconds = ROUND_SECONDS): Promise<Measured> => {
        if (load === bound.load) bound.refill();
        const before = await cpuSeconds(server.pid);
        const stats = await runLoad(url, load, seconds);
        const cpu = (await cpuSeconds(server.pid)) - before;
        // The first response, checked by runLoad, is one more request of the same kind.
        return { ...stats, cpuMsPerRequest: (cpu * 1000) / (stats.requests + 1) };
      };
      log(`${driver}: warm-up`);
      for (const load of [bearer, bound.load]) await measure(load, WARMUP_SECONDS);
      const result: DriverResult = { driver, bearer: [], bound: [] };
      for (let round = 1; round <= ROUNDS; round++) {
        result.bearer.push(await measure(bearer));
        result.bound.push(await measure(bound.load));
        log(`${driver}: round ${round}/${ROUNDS}: bearer ${result.bearer.at(-1)!.requestsPerSecond.toFixed(0)} req/s, DPoP ${result.bound.at(-1)!.requestsPerSecond.toFixed(0)} req/s`);
      }
      return result;
    }),
  );
}

// ---- loads ---------------------------------------------------------------------------------

const ME = JSON.stringify({ query: '{ me { id } }' });

async function bearerLoad(url: string): Promise<Load> {
  const { accessToken, userId } = await signUp(url);
  return { name: 'bearer', body: ME, headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` }, expected: { data: { me: { id: userId } } } };
}

/** A session bound to a fresh P-256 key, and its load, whose proofs are signed ahead by `refill`. */
async function boundLoad(url: string): Promise<{ load: Load; refill(): void }> {
  const device = deviceKey();
  const response = await postGraphQL(url, {
    query: 'mutation($input: SignUpInput!) { signUp(input: $input) { accessToken tokenType user { id } } }',
    variables: { input: { email: `bench-${randomUUID()}@example.com`, password: 'correct horse battery staple' } },
  }, { 'content-type': 'application/json', dpop: device.proof(url) });
  const payload = (JSON.parse(response.text) as { data?: { signUp?: { accessToken: string; tokenType: string; user: { id: string } } } }).data?.signUp;
  if (payload?.tokenType !== 'DPoP') throw new Error(`a DPoP sign-up failed (HTTP ${response.status}): ${response.text}`);
  let proofs: string[] = [];
  return {
    load: {
      name: 'DPoP',
      body: ME,
      headers: { 'content-type': 'application/json', authorization: `DPoP ${payload.accessToken}` },
      expected: { data: { me: { id: payload.user.id } } },
      nextHeaders: () => {
        const proof = proofs.pop();
        if (!proof) throw new Error(`a round sent more than ${PROOFS_PER_ROUND} requests: raise PROOFS_PER_ROUND`);
        return { dpop: proof };
      },
    },
    refill: () => { proofs = Array.from({ length: PROOFS_PER_ROUND }, () => device.proof(url, payload.accessToken)); },
  };
}

/** A device's P-256 key, signing proofs as a client does (RFC 9449), synchronously. */
function deviceKey(): { proof(url: string, accessToken?: string): string } {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const header = encode({ alg: 'ES256', typ: 'dpop+jwt', jwk: publicKey.export({ format: 'jwk' }) });
  return {
    proof(url, accessToken) {
      const ath = accessToken ? { ath: createHash('sha256').update(accessToken).digest('base64url') } : {};
      const input = `${header}.${encode({ jti: randomUUID(), htm: 'POST', htu: url, iat: Math.floor(Date.now() / 1000), ...ath })}`;
      return `${input}.${signEs256(privateKey, input)}`;
    },
  };
}

/**
 * What one ES256 signature check costs on this machine, in this process, with nothing else
 * running (median of 5 runs of 2,000): the least a proof can add to a request's CPU.
 */
function signatureCheckMs(): number {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const input = Buffer.from(`${encode({ alg: 'ES256' })}.${encode({ jti: randomUUID() })}`);
  const signature = sign('sha256', input, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  const runs = Array.from({ length: 5 }, () => {
    const start = performance.now();
    for (let i = 0; i < 2_000; i++) verify('sha256', input, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature);
    return (performance.now() - start) / 2_000;
  });
  return median(runs);
}

function encode(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function signEs256(key: KeyObject, input: string): string {
  return sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
}

// ---- report --------------------------------------------------------------------------------

function printReport(results: DriverResult[], signatureMs: number): void {
  console.log(machineLine());
  console.log(`load: ${CONNECTIONS} connections, ${WARMUP_SECONDS} s warm-up each, then ${ROUNDS} rounds of bearer and DPoP alternating, ${ROUND_SECONDS} s each`);
  console.log('{ me { id } } with a bearer token, and with a DPoP-bound token and a new proof per request; medians across rounds; CPU of the server process per request\n');
  const header = ['driver', 'bearer req/s', 'DPoP req/s', 'DPoP/bearer (pairs)', 'bearer p50/p99 ms', 'DPoP p50/p99 ms', 'CPU ms/req bearer / DPoP', `>= ${RATIO_BAR}`];
  printTable(header, results.map(summarise));
  // Where the server is what limits the throughput, a bound request can reach at most this share
  // of the bearer one, even if checking the proof cost nothing but its signature.
  const ceilings = results.map(({ driver, bearer }) => {
    const bearerMs = median(bearer.map((round) => round.cpuMsPerRequest));
    return `${driver} ${(bearerMs / (bearerMs + signatureMs)).toFixed(2)}`;
  });
  console.log(`\none ES256 signature check alone: ${(signatureMs * 1000).toFixed(0)} µs of CPU; ceiling of DPoP/bearer with nothing but that check added: ${ceilings.join(', ')}`);
}

function summarise({ driver, bearer, bound }: DriverResult): string[] {
  const rate = (rounds: Measured[]) => median(rounds.map((round) => round.requestsPerSecond));
  const ratio = median(bound.map((round, i) => round.requestsPerSecond / bearer[i]!.requestsPerSecond));
  const latency = (rounds: Measured[]) => `${median(rounds.map((round) => round.p50Ms)).toFixed(2)} / ${median(rounds.map((round) => round.p99Ms)).toFixed(2)}`;
  const cpu = (rounds: Measured[]) => median(rounds.map((round) => round.cpuMsPerRequest)).toFixed(3);
  // The bar is set for Postgres; PGlite is reported for comparison only.
  const verdict = driver === 'postgres' ? (ratio >= RATIO_BAR ? 'met' : 'NOT met') : '-';
  return [driver, rate(bearer).toFixed(0), rate(bound).toFixed(0), ratio.toFixed(3), latency(bearer), latency(bound), `${cpu(bearer)} / ${cpu(bound)}`, verdict];
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
