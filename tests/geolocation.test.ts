// Sessions record where they signed in from, offline, from the bundled DB-IP City Lite database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledGeoFile } from '../src/devices/geolocation.js';
import { placeInData } from './helpers/geo-data.js';
import { gql, signUpUser } from './helpers/graphql.js';
import { runMain } from './helpers/process.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const LOCATION = '{ mySessions { ipAddress location { city region country countryCode } } }';
const from = (address: string) => ({ 'x-forwarded-for': address });

async function locationOf(server: TestServer, address: string | undefined) {
  const user = await signUpUser(server, {}, address ? from(address) : undefined);
  const listed = await gql(server, LOCATION, { token: user.accessToken });
  return listed.data!.mySessions[0];
}

describe('geolocation', () => {
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer({ TRUST_PROXY: '1' }); });
  afterAll(async () => { await server?.close(); });

  it('locates public IPv4 and IPv6 addresses taken through a trusted proxy', async () => {
    // The city is whatever this month's data says; the country of an Airtel Nigeria block is not going to move.
    const lagos = await placeInData('105.112.34.56');
    expect(lagos).toMatchObject({ country: 'Nigeria', countryCode: 'NG' });
    expect(await locationOf(server, '105.112.34.56')).toEqual({ ipAddress: '105.112.34.56', location: lagos });

    const google = await placeInData('2001:4860:4860::8888');
    expect(google).not.toBeNull();
    expect((await locationOf(server, '2001:4860:4860::8888')).location).toEqual(google);
  });

  // Regression: an IPv6 address was asked of the IPv4 file first, which does not refuse it but
  // looks its first 32 bits up as an IPv4 address: Google's 2001:4860:4860::8888 came out in
  // Ashburn, US, where the IPv6 file says Montreal, CA.
  it('looks IPv6 addresses up in IPv6 data only', async () => {
    const { ipv6, asIpv4 } = await anUnlistedIpv6WhoseFirst32BitsAreListed();
    expect(await placeInData(ipv6, 6)).toBeNull();
    expect(await placeInData(asIpv4, 4)).not.toBeNull();
    expect((await locationOf(server, ipv6)).location).toBeNull();
  });

  it('gives null for loopback and private addresses', async () => {
    for (const address of ['10.1.2.3', '192.168.0.10', 'fd00::1']) expect((await locationOf(server, address)).location).toBeNull();
    // No X-Forwarded-For: the socket's own address.
    expect(await locationOf(server, undefined)).toEqual({ ipAddress: '127.0.0.1', location: null });
  });
});

describe('geolocation settings', () => {
  let server: TestServer | undefined;
  afterAll(async () => { await server?.close(); });

  it('is off with GEOIP=off', async () => {
    server = await startTestServer({ TRUST_PROXY: '1', GEOIP: 'off' });
    expect((await locationOf(server, '105.112.34.56')).location).toBeNull();
    await server.close();
    server = undefined;
  });

  it('reads another MMDB file given as GEOIP_DATABASE, an IPv4-only one for IPv4 addresses only', async () => {
    server = await startTestServer({ TRUST_PROXY: '1', GEOIP_DATABASE: bundledGeoFile(4) });
    expect((await locationOf(server, '105.112.34.56')).location).toEqual(await placeInData('105.112.34.56'));
    expect((await locationOf(server, '2001:4860:4860::8888')).location).toBeNull();
    await server.close();
    server = undefined;
  });

  it('fails at start-up with one line when GEOIP_DATABASE cannot be read', async () => {
    const run = runMain({ AUTH_SECRET: 'x'.repeat(32), GEOIP_DATABASE: '/nonexistent/GeoLite2-City.mmdb' });
    expect(await run.exited).toBe(1);
    const lines = run.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Cannot open the geolocation database \/nonexistent\/GeoLite2-City\.mmdb: .*GEOIP=off\.$/);
  });
});

/**
 * An address of 3fff::/20, reserved for documentation (RFC 9637) and so in no IPv6 data, whose
 * first 32 bits, read as an IPv4 address (63.255.0.0/20), are listed in this month's IPv4 data.
 */
async function anUnlistedIpv6WhoseFirst32BitsAreListed(): Promise<{ ipv6: string; asIpv4: string }> {
  for (let low = 0; low < 0x1000; low++) {
    const asIpv4 = `63.255.${low >> 8}.${low & 0xff}`;
    if (await placeInData(asIpv4, 4)) return { ipv6: `3fff:${low.toString(16)}::1`, asIpv4 };
  }
  throw new Error('no address of 63.255.0.0/20 is listed in the IPv4 data');
}
