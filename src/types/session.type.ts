import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { PublicSession } from '../db/schema.js';
import { deviceTypeEnum, type DeviceType as DeviceTypeValue } from '../db/schema.js';
import { countryName, GEOIP_ATTRIBUTION } from '../devices/geolocation.js';
import { enumOf } from './enum-of.js';

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
    description: 'The client-given name, else a label from the User-Agent ("Chrome 124 on macOS"), else "Unknown device".',
  })
  deviceName!: string;

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

  @Field(() => Boolean, { description: 'True only for the session that made this request.' })
  isCurrent!: boolean;
}

/** Shapes a stored session for a client, marking whether it is the caller's own. */
export function toSession({ locationCity, locationRegion, locationCountryCode, ...row }: PublicSession, currentSessionId: string): Session {
  const location = locationCity || locationCountryCode
    ? Object.assign(new Location(), { city: locationCity, region: locationRegion, country: countryName(locationCountryCode), countryCode: locationCountryCode })
    : null;
  return Object.assign(new Session(), row, { location, isCurrent: row.id === currentSessionId });
}
