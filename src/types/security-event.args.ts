import { IsOptional, Max, Min } from 'class-validator';
import { ArgsType, Field, Int } from 'type-graphql';
import { IsSecurityEventCursor } from './input-rules.js';

/** The largest page of security events. */
export const SECURITY_EVENTS_PAGE_MAX = 100;

@ArgsType()
export class SecurityEventsArgs {
  @Field(() => Int, { defaultValue: 20 })
  @Min(1) @Max(SECURITY_EVENTS_PAGE_MAX)
  first!: number;

  @Field(() => String, { nullable: true })
  @IsOptional() @IsSecurityEventCursor()
  after!: string | null;
}
