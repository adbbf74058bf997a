import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { securityEventTypeEnum, type SecurityEventType as SecurityEventTypeValue } from '../db/schema.js';
import { enumOf } from './enum-of.js';

export const SecurityEventType = enumOf(securityEventTypeEnum.enumValues);
registerEnumType(SecurityEventType, { name: 'SecurityEventType', description: 'What happened to the account or one of its sessions.' });

@ObjectType({ description: 'One entry of the account\'s security activity.', simpleResolvers: true })
export class SecurityEvent {
  @Field(() => ID)
  id!: string;

  @Field(() => SecurityEventType)
  type!: SecurityEventTypeValue;

  @Field(() => ID, { nullable: true, description: 'The session it concerns.' })
  sessionId!: string | null;

  @Field(() => ID, { nullable: true, description: 'The session that did it (which device revoked this one), when another one did.' })
  actorSessionId!: string | null;

  @Field(() => String, { nullable: true })
  deviceName!: string | null;

  @Field(() => String, { nullable: true, description: 'Where the request that caused it came from.' })
  ipAddress!: string | null;

  @Field(() => Date)
  createdAt!: Date;
}

@ObjectType({ description: 'Where a page of a connection sits in the whole list (Relay cursor connections).', simpleResolvers: true })
export class PageInfo {
  @Field(() => Boolean, { description: 'Whether more items follow this page: pass endCursor as `after` to get them.' })
  hasNextPage!: boolean;

  @Field(() => Boolean, {
    description: 'Whether items precede this page: true when `after` was given and the item it points at, or a newer one, still exists. Always false without `after`.',
  })
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true, description: "The first edge's cursor; null for an empty page." })
  startCursor!: string | null;

  @Field(() => String, { nullable: true, description: "The last edge's cursor; pass it as `after` for the next page. Null for an empty page." })
  endCursor!: string | null;
}

@ObjectType({ simpleResolvers: true })
export class SecurityEventEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => SecurityEvent)
  node!: SecurityEvent;
}

@ObjectType({ simpleResolvers: true })
export class SecurityEventConnection {
  @Field(() => [SecurityEventEdge])
  edges!: SecurityEventEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}
