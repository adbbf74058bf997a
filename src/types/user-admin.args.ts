import { ArrayMaxSize, IsOptional, IsUUID, Length, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { ArgsType, Field, ID, InputType, Int } from 'type-graphql';
import { EXTERNAL_ID_MAX_LENGTH } from '../auth/account-service.js';
import type { DeviceType as DeviceTypeValue } from '../db/schema.js';
import { IsSessionCursor } from './input-rules.js';
import { SecurityEventsArgs } from './security-event.args.js';
import { DeviceType } from './session.type.js';

/** The largest page of a user's sessions, and the most sessions one revokeUserSessions may name. */
export const USER_SESSIONS_PAGE_MAX = 100;
/** The words a backend may record with a revocation. */
export const REVOCATION_NOTE_MAX_LENGTH = 500;

// Every admin field names its user the same two ways, exactly one of them (checked by the resolver).
const USER_ID = { nullable: true, description: "The user, by this server's id (User.id). Give this or externalId." } as const;
const EXTERNAL_ID = { nullable: true, description: `The user, by the app's own id given to issueSession (User.externalId), at most ${EXTERNAL_ID_MAX_LENGTH} characters. Give this or userId.` } as const;

/** A user named by one of two ids; the resolver refuses none or both. */
export interface UserNamed {
  userId?: string | null;
  externalId?: string | null;
}

@ArgsType()
export class UserSessionsArgs implements UserNamed {
  @Field(() => ID, USER_ID) @IsOptional() @IsUUID()
  userId?: string | null;

  @Field(() => String, EXTERNAL_ID) @IsOptional() @Length(1, EXTERNAL_ID_MAX_LENGTH)
  externalId?: string | null;

  @Field(() => Boolean, { defaultValue: false, description: 'Also the sessions that have ended (until the cleanup removes them, SESSION_RETENTION_DAYS after), with endedAt and endReason.' })
  includeEnded!: boolean;

  @Field(() => Int, { defaultValue: 20, description: `How many sessions, 1 to ${USER_SESSIONS_PAGE_MAX}.` })
  @Min(1) @Max(USER_SESSIONS_PAGE_MAX)
  first!: number;

  @Field(() => String, { nullable: true, description: 'The sessions after this cursor (an edge\'s cursor, or pageInfo.endCursor); from the newest without it.' })
  @IsOptional() @IsSessionCursor()
  after!: string | null;
}

@ArgsType()
export class UserSecurityEventsArgs extends SecurityEventsArgs implements UserNamed {
  @Field(() => ID, USER_ID) @IsOptional() @IsUUID()
  userId?: string | null;

  @Field(() => String, EXTERNAL_ID) @IsOptional() @Length(1, EXTERNAL_ID_MAX_LENGTH)
  externalId?: string | null;
}

@InputType({ description: "Which of a user's live sessions to end: every one matching all the conditions given; all of them with none." })
export class UserSessionsWhere implements UserNamed {
  @Field(() => ID, USER_ID) @IsOptional() @IsUUID()
  userId?: string | null;

  @Field(() => String, EXTERNAL_ID) @IsOptional() @Length(1, EXTERNAL_ID_MAX_LENGTH)
  externalId?: string | null;

  @Field(() => [ID], { nullable: true, description: `Only these sessions (Session.id), at most ${USER_SESSIONS_PAGE_MAX}; another user's ids match nothing.` })
  @IsOptional() @ArrayMaxSize(USER_SESSIONS_PAGE_MAX) @IsUUID('all', { each: true })
  sessionIds?: string[] | null;

  @Field(() => DeviceType, { nullable: true, description: 'Only sessions on this kind of device.' })
  @IsOptional()
  deviceType?: DeviceTypeValue | null;

  @Field(() => String, { nullable: true, description: 'Only sessions that signed in from this country (ISO 3166-1 alpha-2, any case), as Session.location has it.' })
  @IsOptional() @Matches(/^[A-Za-z]{2}$/, { message: '$property must be a two-letter country code (ISO 3166-1 alpha-2)' })
  countryCode?: string | null;

  @Field(() => Date, { nullable: true, description: 'Only sessions signed in before this time.' })
  @IsOptional()
  createdBefore?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Only sessions last active before this time.' })
  @IsOptional()
  lastActiveBefore?: Date | null;
}

@ArgsType()
export class RevokeUserSessionsArgs {
  @Field(() => UserSessionsWhere, { description: 'The user, and which of their sessions.' })
  @ValidateNested()
  where!: UserSessionsWhere;

  @Field(() => String, {
    nullable: true,
    description: `Why, in words, at most ${REVOCATION_NOTE_MAX_LENGTH} characters: kept as the note of each SESSION_REVOKED security event, which the user sees.`,
  })
  @IsOptional() @MaxLength(REVOCATION_NOTE_MAX_LENGTH)
  reason?: string | null;
}
