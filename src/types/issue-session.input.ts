import type { IncomingHttpHeaders } from 'node:http';
import { IsIP, IsOptional, Length, MaxLength, ValidateNested } from 'class-validator';
import { ArgsType, Field, InputType } from 'type-graphql';
import { EXTERNAL_ID_MAX_LENGTH } from '../auth/account-service.js';
import { CLIENT_HINT_MAX_LENGTH } from '../devices/client-hints.js';
import { DeviceInfoInput } from './auth.input.js';
import { IsAccountEmail } from './input-rules.js';

/** A forwarded User-Agent longer than this is refused; the session keeps its first 512 characters, as for a request's own. */
const USER_AGENT_INPUT_MAX_LENGTH = 2048;

/** Each field of ClientHintsInput, and the request header it carries. */
const HEADER_OF_HINT = {
  secChUa: 'sec-ch-ua',
  secChUaFullVersionList: 'sec-ch-ua-full-version-list',
  secChUaPlatform: 'sec-ch-ua-platform',
  secChUaPlatformVersion: 'sec-ch-ua-platform-version',
  secChUaMobile: 'sec-ch-ua-mobile',
  secChUaModel: 'sec-ch-ua-model',
  deviceMemory: 'device-memory',
  downlink: 'downlink',
} as const;

const hint = (header: string) => ({ nullable: true, description: `The end user's ${header} header, as the browser sent it; at most ${CLIENT_HINT_MAX_LENGTH} characters.` });

@InputType({ description: "The User-Agent Client Hints of the end user's request, as the backend received them: copy the headers' values as they are." })
export class ClientHintsInput implements Partial<Record<keyof typeof HEADER_OF_HINT, string | null>> {
  @Field(() => String, hint('Sec-CH-UA')) @IsOptional() @MaxLength(CLIENT_HINT_MAX_LENGTH)
  secChUa?: string | null;

  @Field(() => String, hint('Sec-CH-UA-Full-Version-List')) @IsOptional() @MaxLength(CLIENT_HINT_MAX_LENGTH)
  secChUaFullVersionList?: string | null;

  @Field(() => String, hint('Sec-CH-UA-Platform')) @IsOptional() @MaxLength(CLIENT_HINT_MAX_LENGTH)
  secChUaPlatform?: string | null;

  @Field(() => String, hint('Sec-CH-UA-Platform-Version')) @IsOptional() @MaxLength(CLIENT_HINT_MAX_LENGTH)
  secChUaPlatformVersion?: string | null;

  @Field(() => String, hint('Sec-CH-UA-Mobile')) @IsOptional() @MaxLength(CLIENT_HINT_MAX_LENGTH)
  secChUaMobile?: string | null;

  @Field(() => String, hint('Sec-CH-UA-Model')) @IsOptional() @MaxLength(CLIENT_HINT_MAX_LENGTH)
  secChUaModel?: string | null;

  @Field(() => String, hint('Device-Memory')) @IsOptional() @MaxLength(CLIENT_HINT_MAX_LENGTH)
  deviceMemory?: string | null;

  @Field(() => String, hint('Downlink')) @IsOptional() @MaxLength(CLIENT_HINT_MAX_LENGTH)
  downlink?: string | null;
}

/** The hints as the request headers they came in, for `readClientHints`. */
export function headersOfHints(hints: ClientHintsInput): IncomingHttpHeaders {
  const headers: IncomingHttpHeaders = {};
  for (const [field, header] of Object.entries(HEADER_OF_HINT)) {
    const value = hints[field as keyof typeof HEADER_OF_HINT];
    if (value != null) headers[header] = value;
  }
  return headers;
}

@InputType({ description: "A user of the app's own sign-in, and the device they signed in on, as the app's backend knows them." })
export class IssueSessionInput {
  @Field(() => String, { description: `The app's own id for the user, 1 to ${EXTERNAL_ID_MAX_LENGTH} characters: the first session for an id creates the user.` })
  @Length(1, EXTERNAL_ID_MAX_LENGTH)
  externalId!: string;

  @Field(() => String, {
    nullable: true,
    description: 'The user\'s email, normalized like signUp\'s; replaces the stored one when given, kept when not. EMAIL_TAKEN when another account has it.',
  })
  @IsOptional() @IsAccountEmail()
  email?: string | null;

  @Field(() => DeviceInfoInput, { nullable: true, description: 'What the app knows of the device; userAgent and clientHints fill in the rest.' })
  @IsOptional() @ValidateNested()
  device?: DeviceInfoInput | null;

  @Field(() => String, {
    nullable: true,
    description: "The end user's IP address, as the backend saw it: the session's ipAddress and location. Never the backend's own: without it, the session has none.",
  })
  @IsOptional() @IsIP()
  ipAddress?: string | null;

  @Field(() => String, { nullable: true, description: `The end user's User-Agent header, at most ${USER_AGENT_INPUT_MAX_LENGTH} characters: the device's type, OS, browser and label.` })
  @IsOptional() @MaxLength(USER_AGENT_INPUT_MAX_LENGTH)
  userAgent?: string | null;

  @Field(() => ClientHintsInput, { nullable: true, description: "The end user's Client Hints headers, which name the device more precisely than the User-Agent." })
  @IsOptional() @ValidateNested()
  clientHints?: ClientHintsInput | null;
}

@ArgsType()
export class IssueSessionArgs {
  @Field(() => IssueSessionInput, { description: 'Who the session is for, and from what.' })
  @ValidateNested()
  input!: IssueSessionInput;
}
