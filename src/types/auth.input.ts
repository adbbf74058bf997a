import { IsOptional, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { Field, Float, InputType, Int } from 'type-graphql';
import { CPU_CORES, DEVICE_TEXT_MAX_LENGTH as TEXT_MAX, INTERNET_SPEED_MBPS, RAM_GB } from '../devices/device-bounds.js';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../auth/passwords.js';
import { IsAccountEmail, IsNewPassword, IsPasswordToCheck } from './input-rules.js';

@InputType({ description: 'What the client knows of its device. Every field is optional.' })
export class DeviceInfoInput {
  @Field(() => String, { nullable: true, description: 'What to call the device in the session list ("Ada\'s laptop"); at most 255 characters. Without it, a label from the User-Agent.' })
  @IsOptional() @MaxLength(TEXT_MAX)
  deviceName?: string | null;

  @Field(() => String, { nullable: true, description: 'A persistent id the client keeps for this device, at most 255 characters: a sign-in with a known one is not a new device. Else the X-Device-Id header.' })
  @IsOptional() @MaxLength(TEXT_MAX)
  deviceId?: string | null;

  @Field(() => String, { nullable: true, description: 'The operating system, at most 255 characters; wins over what the request\'s headers say.' })
  @IsOptional() @MaxLength(TEXT_MAX)
  os?: string | null;

  @Field(() => String, { nullable: true, description: 'The browser or app, at most 255 characters; wins over what the request\'s headers say.' })
  @IsOptional() @MaxLength(TEXT_MAX)
  browser?: string | null;

  @Field(() => Int, { nullable: true, description: `CPU cores, ${CPU_CORES.min} to ${CPU_CORES.max}.` })
  @IsOptional() @Min(CPU_CORES.min) @Max(CPU_CORES.max)
  cpuCores?: number | null;

  @Field(() => Float, { nullable: true, description: `Memory in GB, ${RAM_GB.min} to ${RAM_GB.max}.` })
  @IsOptional() @Min(RAM_GB.min) @Max(RAM_GB.max)
  ramGb?: number | null;

  @Field(() => Float, { nullable: true, description: `Connection speed in Mbps, ${INTERNET_SPEED_MBPS.min} to ${INTERNET_SPEED_MBPS.max}.` })
  @IsOptional() @Min(INTERNET_SPEED_MBPS.min) @Max(INTERNET_SPEED_MBPS.max)
  internetSpeedMbps?: number | null;
}

const DEVICE = 'What the client knows of the device; the User-Agent, Client Hints and X-Device-Id fill in the rest.';

const COOKIE_MODE = {
  defaultValue: false,
  description: 'Cookie mode, for browsers: put the refresh token in an HttpOnly cookie (__Host-refresh-token) instead of the payload; refreshSession without an argument then reads it. HTTP only.',
};

@InputType({ description: 'A new account, and the device of its first session.' })
export class SignUpInput {
  @Field(() => String, { description: 'At most 254 characters; trimmed, lower-cased and composed (NFC) before it is stored, so case and spacing do not make another account.' })
  @IsAccountEmail()
  email!: string;

  @Field(() => String, { description: `${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters.` })
  @IsNewPassword()
  password!: string;

  @Field(() => DeviceInfoInput, { nullable: true, description: DEVICE })
  @IsOptional() @ValidateNested()
  device?: DeviceInfoInput | null;

  @Field(() => Boolean, COOKIE_MODE)
  refreshTokenInCookie!: boolean;
}

@InputType({ description: 'Credentials, and the device the new session is on.' })
export class LoginInput {
  @Field(() => String, { description: 'The account\'s email, in any case and spacing.' })
  @IsAccountEmail()
  email!: string;

  @Field(() => String, { description: 'The password, exactly as set: never trimmed or truncated.' })
  @IsPasswordToCheck()
  password!: string;

  @Field(() => DeviceInfoInput, { nullable: true, description: DEVICE })
  @IsOptional() @ValidateNested()
  device?: DeviceInfoInput | null;

  @Field(() => Boolean, COOKIE_MODE)
  refreshTokenInCookie!: boolean;
}
