import maxmind, { type Reader, type Response } from 'maxmind';
import { bundledGeoFile, countryName } from '../../src/devices/geolocation.js';

// The bundled DB-IP City Lite files, read here with the reader the server uses. The package is on
// a caret range and its data refreshed monthly, so tests take the places they expect from it
// rather than spelling out a city that may move.

const readers = new Map<string, Promise<Reader<Response>>>();

/** What the bundled IPv4 or IPv6 file (by the address's family) lists for `address`, as `location` shows it. */
export async function placeInData(address: string, family: 4 | 6 = address.includes(':') ? 6 : 4): Promise<{ city: string; region: string; country: string; countryCode: string } | null> {
  const file = bundledGeoFile(family);
  let reader = readers.get(file);
  if (!reader) {
    reader = maxmind.open<Response>(file, { watchForUpdates: false });
    readers.set(file, reader);
  }
  // DB-IP's layout: flat strings, the region as state1.
  const record = (await reader).get(address) as { city: string; state1: string; country_code: string } | null;
  return record && { city: record.city, region: record.state1, country: countryName(record.country_code)!, countryCode: record.country_code };
}
