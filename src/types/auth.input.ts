import { IsOptional, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { Field, Float, InputType, Int } from 'type-graphql';
import { CPU_CORES, DEVICE_TEXT_MAX_LENGTH as TEXT_MAX, INTERNET_SPEED_MBPS, RAM_GB } from '../devices/device-bounds.js';
import { IsAccountEmail, IsNewPassword, IsPasswordToCheck } from './input-rules.js';

@InputType({ description: 'What the client knows of its device. Every field is optional.' })
export class DeviceInfoInput {
  @Field(() => String, { nullable: true })
  @IsOptional() @MaxLength(TEXT_MAX)
  deviceName?: string | null;

  @Field(() => String, { nullable: true, description: 'A persistent id the client keeps for this device.' })
  @IsOptional() @MaxLength(TEXT_MAX)
  deviceId?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional() @MaxLength(TEXT_MAX)
  os?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional() @MaxLength(TEXT_MAX)
  browser?: string | null;

  @Field(() => Int, { nullable: true })
  @IsOptional() @Min(CPU_CORES.min) @Max(CPU_CORES.max)
  cpuCores?: number | null;

  @Field(() => Float, { nullable: true })
  @IsOptional() @Min(RAM_GB.min) @Max(RAM_GB.max)
  ramGb?: number | null;

  @Field(() => Float, { nullable: true })
  @IsOptional() @Min(INTERNET_SPEED_MBPS.min) @Max(INTERNET_SPEED_MBPS.max)
  internetSpeedMbps?: number | null;
}

const COOKIE_MODE = {
  defaultValue: false,
  description: 'Cookie mode, for browsers: put the refresh token in an HttpOnly cookie (__Host-refresh-token) instead of the payload; refreshSession without an argument then reads it. HTTP only.',
};

@InputType()
export class SignUpInput {
  @Field(() => String)
  @IsAccountEmail()
  email!: string;

  @Field(() => String, { description: '8 to 1024 characters.' })
  @IsNewPassword()
  password!: string;

  @Field(() => DeviceInfoInput, { nullable: true })
  @IsOptional() @ValidateNested()
  device?: DeviceInfoInput | null;

  @Field(() => Boolean, COOKIE_MODE)
  refreshTokenInCookie!: boolean;
}

@InputType()
export class LoginInput {
  @Field(() => String)
  @IsAccountEmail()
  email!: string;

  @Field(() => String)
  @IsPasswordToCheck()
  password!: string;

  @Field(() => DeviceInfoInput, { nullable: true })
  @IsOptional() @ValidateNested()
  device?: DeviceInfoInput | null;

  @Field(() => Boolean, COOKIE_MODE)
  refreshTokenInCookie!: boolean;
}
