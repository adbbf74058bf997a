import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { PublicSession } from '../db/schema.js';
import { deviceTypeEnum, revocationReasonEnum, type DeviceType as DeviceTypeValue, type RevocationReason as RevocationReasonValue } from '../db/schema.js';
import { countryName, GEOIP_ATTRIBUTION } from '../devices/geolocation.js';
import type { SessionEnd } from '../auth/session-lifetime.js';
import { enumOf } from './enum-of.js';
import { PageInfo } from './page-info.type.js';

export const DeviceType = enumOf(deviceTypeEnum.enumValues);
registerEnumType(DeviceType, {
  name: 'DeviceType',
  description: 'The kind of device a session was signed in from, as its User-Agent and Client Hints say.',
  valuesConfig: {
    DESKTOP: { description: 'A desktop or laptop computer, or a browser that names no other kind.' },
    MOBILE: { description: 'A phone.' },
    TABLET: { description: 'A tablet.' },
    TV: { description: 'A smart TV or a TV box.' },
    CONSOLE: { description: 'A games console.' },
    WEARABLE: { description: 'A watch or another wearable.' },
    EMBEDDED: { description: 'An embedded device: a car, an appliance.' },
    BOT: { description: 'A crawler, or a headless browser.' },
    UNKNOWN: { description: 'Nothing to tell: no User-Agent, or a library\'s (curl, python-requests).' },
  } satisfies Record<DeviceTypeValue, { description: string }>,
});

export const RevocationReason = enumOf(revocationReasonEnum.enumValues);
registerEnumType(RevocationReason, {
  name: 'RevocationReason',
  description: 'Why a session ended.',
  valuesConfig: {
    LOGOUT: { description: 'Signed out with logout.' },
    REVOKED: { description: 'Ended with revokeSession, revokeOtherSessions or revokeAllSessions, by itself or from another session; or by the app\'s backend (revokeUserSessions).' },
    EXPIRED: { description: 'Reached SESSION_MAX_AGE_SECONDS, or went unused for SESSION_IDLE_TIMEOUT_SECONDS.' },
    REFRESH_TOKEN_REUSE: { description: 'A refresh token of the session was used a second time, which is taken as theft: the whole session is ended.' },
    PASSWORD_CHANGED: { description: 'changePassword ended every other session of the user.' },
    SESSION_LIMIT: { description: 'A sign-in beyond MAX_SESSIONS_PER_USER ended this, the least recently active session.' },
  } satisfies Record<RevocationReasonValue, { description: string }>,
});

@ObjectType({ description: 'Where an address is, as far as the geolocation database knows.', simpleResolvers: true })
export class Location {
  @Field(() => String, { nullable: true, description: 'The English name of the city.' })
  city!: string | null;

  @Field(() => String, { nullable: true, description: 'State, province or region.' })
  region!: string | null;

  @Field(() => String, { nullable: true, description: 'The English name of the country.' })
  country!: string | null;

  @Field(() => String, { nullable: true, description: 'ISO 3166-1 alpha-2.' })
  countryCode!: string | null;
}

@ObjectType({ description: 'One signed-in device: a session and what is known of the device that holds it.', simpleResolvers: true })
export class Session {
  @Field(() => ID, { description: 'The session\'s id: revokeSession takes it.' })
  id!: string;

  @Field(() => String, {
    description: 'The name the client gave at sign-in or with renameSession, else deviceLabel.',
  })
  deviceName!: string;

  @Field(() => String, {
    description: 'What the User-Agent and Client Hints say the device is ("Chrome 124 on macOS", "Unknown device"), whatever its name. For a session signed in before this field existed, its deviceName.',
  })
  deviceLabel!: string;

  @Field(() => DeviceType, { description: 'The kind of device, from the User-Agent and Client Hints.' })
  deviceType!: DeviceTypeValue;

  @Field(() => String, { nullable: true, description: 'The operating system: the client-given one, else from Client Hints, else from the User-Agent ("Windows 11", "iOS 17.4").' })
  os!: string | null;

  @Field(() => String, { nullable: true, description: 'The browser: the client-given one, else from Client Hints, else from the User-Agent ("Chrome 124").' })
  browser!: string | null;

  @Field(() => String, { nullable: true, description: "The client's persistent device id: input deviceId, else the X-Device-Id header." })
  deviceId!: string | null;

  @Field(() => String, { nullable: true, description: 'The User-Agent at sign-in, truncated to 512 characters.' })
  userAgent!: string | null;

  @Field(() => String, { nullable: true, description: 'The address the session signed in from, taken by the server, never from input.' })
  ipAddress!: string | null;

  @Field(() => Location, {
    nullable: true,
    description: `Where ipAddress was at sign-in; null for private, loopback or unlisted addresses. ${GEOIP_ATTRIBUTION}.`,
  })
  location!: Location | null;

  @Field(() => Int, { nullable: true, description: 'CPU cores, as the client gave them.' })
  cpuCores!: number | null;

  @Field(() => Float, { nullable: true, description: 'Memory in GB: the client-given figure, else the Device-Memory Client Hint.' })
  ramGb!: number | null;

  @Field(() => Float, { nullable: true, description: 'Connection speed in Mbps: the client-given figure, else the Downlink Client Hint.' })
  internetSpeedMbps!: number | null;

  @Field(() => Date, { description: 'When the session was signed in.' })
  createdAt!: Date;

  @Field(() => Date, { description: 'Updated at most once a minute (LAST_ACTIVE_WRITE_INTERVAL_SECONDS).' })
  lastActiveAt!: Date;

  @Field(() => Date, { description: 'When the session ends at the latest; refreshing does not extend it.' })
  expiresAt!: Date;

  @Field(() => Boolean, { description: 'Whether its sign-in was from a device the user had never signed in from (a "New" badge). False for sessions signed in before this field existed.' })
  isNewDevice!: boolean;

  @Field(() => Boolean, { description: 'True only for the session that made this request; always false for a service key, which has none.' })
  isCurrent!: boolean;

  @Field(() => Boolean, {
    description: 'Whether the session is bound to a key that never leaves its device (DPoP, RFC 9449): its tokens work only with proofs signed by that key, so copies of them are useless elsewhere.',
  })
  isDeviceBound!: boolean;

  @Field(() => Date, { nullable: true, description: 'When the session ended; null while it lives. Only userSessions(includeEnded: true) lists ended ones.' })
  endedAt!: Date | null;

  @Field(() => RevocationReason, { nullable: true, description: 'Why the session ended; null while it lives.' })
  endReason!: RevocationReasonValue | null;
}

@ObjectType({ description: 'One session and its place in the list.', simpleResolvers: true })
export class SessionEdge {
  @Field(() => String, { description: 'Opaque: pass as `after` for the sessions that follow this one.' })
  cursor!: string;

  @Field(() => Session, { description: 'The session.' })
  node!: Session;
}

@ObjectType({ description: "A page of a user's sessions, newest sign-in first (Relay cursor connection).", simpleResolvers: true })
export class SessionConnection {
  @Field(() => [SessionEdge], { description: 'The sessions of this page, newest sign-in first.' })
  edges!: SessionEdge[];

  @Field(() => PageInfo, { description: 'Where this page sits, and the cursor for the next one.' })
  pageInfo!: PageInfo;
}

/**
 * Shapes a stored session for a client, marking whether it is the caller's own (never, without a
 * current session) and, for one that has ended, when and why.
 */
export function toSession({ locationCity, locationRegion, locationCountryCode, dpopJkt, ...row }: PublicSession, currentSessionId: string | null, end?: SessionEnd): Session {
  const location = locationCity || locationCountryCode
    ? Object.assign(new Location(), { city: locationCity, region: locationRegion, country: countryName(locationCountryCode), countryCode: locationCountryCode })
    : null;
  return Object.assign(new Session(), row, {
    deviceLabel: row.deviceLabel ?? row.deviceName, location, isCurrent: row.id === currentSessionId, isDeviceBound: dpopJkt !== null, endedAt: end?.at ?? null, endReason: end?.reason ?? null,
  });
}
