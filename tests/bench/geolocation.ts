/**
 * What geolocation costs: opening the bundled database (time, memory), lookups per second, and
 * login throughput with geolocation on against off. Progress goes to stderr, the report to stdout.
 */
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import { openGeolocator } from '../../src/devices/geolocation.js';
import { benchDrivers, log, machineLine, median, postGraphQL, withServer } from './lib/harness.js';

const LOOKUPS = 1_000_000;
const LOOKUP_ROUNDS = 5;
const LOGIN_ROUNDS = 3;
const LOGIN_SECONDS = 8;
const PASSWORD = 'correct horse battery staple';
// A public address, so that every login is really located (Lagos, NG).
const CLIENT = { 'x-forwarded-for': '105.112.34.56' };

async function main(): Promise<void> {
  console.log(machineLine());
  await measureOpening();
  await measureLogins();
}

async function measureOpening(): Promise<void> {
  const before = process.memoryUsage();
  const startedAt = performance.now();
  const geolocator = await openGeolocator('on', undefined);
  const openMs = performance.now() - startedAt;
  const after = process.memoryUsage();
  const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
  console.log(`open: ${openMs.toFixed(0)} ms; RSS +${mib(after.rss - before.rss)} MiB (buffers +${mib(after.arrayBuffers - before.arrayBuffers)} MiB)`);

  const addresses = Array.from({ length: LOOKUPS }, () => `${1 + (randomBytes(1)[0]! % 223)}.${randomBytes(1)[0]}.${randomBytes(1)[0]}.${randomBytes(1)[0]}`);
  const rates: number[] = [];
  for (let round = 0; round < LOOKUP_ROUNDS; round++) {
    const roundStart = performance.now();
    let found = 0;
    for (const address of addresses) if (geolocator.locate(address)) found++;
    rates.push(LOOKUPS / ((performance.now() - roundStart) / 1000));
    if (found === 0) throw new Error('no address was located');
  }
  console.log(`lookups: ${Math.round(median(rates))} per second (median of ${LOOKUP_ROUNDS} rounds of ${LOOKUPS} random IPv4 addresses, 10,000-entry cache)`);
}

async function measureLogins(): Promise<void> {
  const first = benchDrivers()[0];
  if (!first) return;
  const { driver, withDatabase } = first;
  const secret = randomBytes(32).toString('hex');
  const env = (geoip: string) => ({ AUTH_SECRET: secret, TRUST_PROXY: '1', GEOIP: geoip, MAX_SESSIONS_PER_USER: '10000' });
  await withDatabase((onDb) => withDatabase((offDb) =>
    withServer({ ...onDb, ...env('on') }, (onUrl) => withServer({ ...offDb, ...env('off') }, async (offUrl) => {
      const rates = { on: [] as number[], off: [] as number[] };
      const loads = {
        on: await loginLoad(onUrl, { countryCode: 'NG' }),
        off: await loginLoad(offUrl, null),
      };
      for (let round = 1; round <= LOGIN_ROUNDS; round++) {
        for (const geoip of ['on', 'off'] as const) rates[geoip].push(await runLogins(loads[geoip]));
        log(`${driver}: logins round ${round}: on ${rates.on.at(-1)!.toFixed(1)}/s, off ${rates.off.at(-1)!.toFixed(1)}/s`);
      }
      const ratio = median(rates.on.map((rate, i) => rate / rates.off[i]!));
      console.log(`logins (${driver}, 4 connections, ${LOGIN_ROUNDS} rounds of ${LOGIN_SECONDS} s, alternating): on ${median(rates.on).toFixed(1)}/s, off ${median(rates.off).toFixed(1)}/s, on/off ${ratio.toFixed(3)}`);
    }))));
}

interface LoginLoad { url: string; body: string; expectBody: string }

async function loginLoad(url: string, location: { countryCode: string } | null): Promise<LoginLoad> {
  const email = `bench-${randomBytes(6).toString('hex')}@example.com`;
  const signUp = await postGraphQL(url, { query: 'mutation($input: SignUpInput!) { signUp(input: $input) { accessToken } }', variables: { input: { email, password: PASSWORD } } });
  if (!signUp.text.includes('accessToken')) throw new Error(`signUp failed: ${signUp.text}`);
  return {
    url,
    body: JSON.stringify({ query: 'mutation($input: LoginInput!) { login(input: $input) { session { location { countryCode } } } }', variables: { input: { email, password: PASSWORD } } }),
    // Apollo ends every JSON response with a newline.
    expectBody: `${JSON.stringify({ data: { login: { session: { location } } } })}\n`,
  };
}

/** Logins per second; every answer must be exactly the expected one, or the run fails. */
async function runLogins({ url, body, expectBody }: LoginLoad): Promise<number> {
  const first = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...CLIENT } });
  const firstBody = await first.text();
  if (firstBody !== expectBody) throw new Error(`login answered ${firstBody}, expected ${expectBody}`);
  const result = await autocannon({
    url, method: 'POST', body, expectBody, connections: 4, duration: LOGIN_SECONDS,
    headers: { 'content-type': 'application/json', ...CLIENT },
  });
  if (result.errors + result.timeouts + result.non2xx + result.mismatches > 0) {
    throw new Error(`failed logins: ${JSON.stringify({ errors: result.errors, non2xx: result.non2xx, mismatches: result.mismatches })}`);
  }
  return result.requests.average;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
