import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { PublicSession } from '../db/schema.js';
import { deviceTypeEnum, type DeviceType as DeviceTypeValue } from '../db/schema.js';
import { countryName, GEOIP_ATTRIBUTION } from '../devices/geolocation.js';
import { enumOf } from './enum-of.js';

export const DeviceType = enumOf(deviceTypeEnum.enumValues);
registerEnumType(DeviceType, { name: 'DeviceType', description: 'The kind of device a session was signed in from.' });

@ObjectType({ description: 'Where an address is, as far as the geolocation database knows.', simpleResolvers: true })
export class Location {
  @Field(() => String, { nullable: true })
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
  @Field(() => ID)
  id!: string;

  @Field(() => String, {
    description: 'The client-given name, else a label from the User-Agent ("Chrome 124 on macOS"), else "Unknown device".',
  })
  deviceName!: string;

  @Field(() => DeviceType)
  deviceType!: DeviceTypeValue;

  @Field(() => String, { nullable: true })
  os!: string | null;

  @Field(() => String, { nullable: true })
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

  @Field(() => Int, { nullable: true })
  cpuCores!: number | null;

  @Field(() => Float, { nullable: true })
  ramGb!: number | null;

  @Field(() => Float, { nullable: true })
  internetSpeedMbps!: number | null;

  @Field(() => Date)
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
