import { and, eq, sql, type SQL } from 'drizzle-orm';
import { sessions } from '../db/schema.js';
import type { DeviceDetails } from './device-info.js';

/** "Chrome 124" → "Chrome": a browser update is not a new device. */
const VERSION_SUFFIX = /\s+[\d.]+$/;

/**
 * Whether (as SQL) the user has had a session (live or ended, as long as it is kept) on this device
 * before: the same `deviceId` when the client gives one; otherwise the same browser, OS and
 * country.
 */
export function knownDeviceSql(userId: string, device: DeviceDetails, countryCode: string | null): SQL {
  const sameDevice = device.deviceId
    ? eq(sessions.deviceId, device.deviceId)
    : and(
      sql`regexp_replace(${sessions.browser}, '\\s+[0-9.]+$', '') IS NOT DISTINCT FROM ${device.browser?.replace(VERSION_SUFFIX, '') ?? null}`,
      sql`${sessions.os} IS NOT DISTINCT FROM ${device.os}`,
      sql`${sessions.locationCountryCode} IS NOT DISTINCT FROM ${countryCode}`,
    );
  return sql`EXISTS (SELECT 1 FROM ${sessions} WHERE ${and(eq(sessions.userId, userId), sameDevice)})`;
}
