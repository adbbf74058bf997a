import { IsOptional, Max, Min } from 'class-validator';
import { ArgsType, Field, Int } from 'type-graphql';
import { IsSecurityEventCursor } from './input-rules.js';

/** The largest page of security events. */
export const SECURITY_EVENTS_PAGE_MAX = 100;

@ArgsType()
export class SecurityEventsArgs {
  @Field(() => Int, { defaultValue: 20, description: `How many events, 1 to ${SECURITY_EVENTS_PAGE_MAX}.` })
  @Min(1) @Max(SECURITY_EVENTS_PAGE_MAX)
  first!: number;

  @Field(() => String, { nullable: true, description: 'The events after this cursor (an edge\'s cursor, or pageInfo.endCursor); from the newest without it.' })
  @IsOptional() @IsSecurityEventCursor()
  after!: string | null;
}
