import { ArrayMaxSize, IsOptional, IsUUID, Length, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { ArgsType, Field, ID, InputType, Int } from 'type-graphql';
import type { WebhookDeliveryStatus as WebhookDeliveryStatusValue, WebhookFormat as WebhookFormatValue } from '../db/schema.js';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType as WebhookEventTypeValue } from '../events/event-types.js';
import { IsDeliveryCursor } from './input-rules.js';
import { WebhookDeliveryStatus, WebhookEventType, WebhookFormat } from './webhook.type.js';

export const WEBHOOK_DELIVERIES_PAGE_MAX = 100;

@InputType({ description: 'A new webhook endpoint.' })
export class CreateWebhookEndpointInput {
  @Field(() => String, { description: 'Where events are POSTed: https:// (http:// to a loopback host outside production). No redirects are followed; addresses in private networks are refused unless WEBHOOK_ALLOW_PRIVATE_NETWORKS is on.' })
  @MaxLength(2048)
  url!: string;

  @Field(() => WebhookFormat, { defaultValue: 'STANDARD_WEBHOOKS', description: 'How it is told of events.' })
  format!: WebhookFormatValue;

  @Field(() => [WebhookEventType], { nullable: true, description: 'The events it wants; every event its format carries without it.' })
  @IsOptional() @ArrayMaxSize(WEBHOOK_EVENT_TYPES.length)
  eventTypes?: WebhookEventTypeValue[] | null;

  @Field(() => String, { nullable: true, description: 'What it is for, at most 200 characters.' })
  @IsOptional() @MaxLength(200)
  description?: string | null;

  @Field(() => String, { nullable: true, description: "The token formats' `aud`, at most 255 characters; the URL's origin without it." })
  @IsOptional() @Length(1, 255)
  audience?: string | null;
}

@ArgsType()
export class CreateWebhookEndpointArgs {
  @Field(() => CreateWebhookEndpointInput, { description: 'Where to, how, and which events.' })
  @ValidateNested()
  input!: CreateWebhookEndpointInput;
}

@ArgsType()
export class WebhookEndpointArgs {
  @Field(() => ID, { description: 'The endpoint (WebhookEndpoint.id).' })
  @IsUUID()
  id!: string;
}

@ArgsType()
export class WebhookDeliveriesArgs {
  @Field(() => ID, { description: 'The endpoint (WebhookEndpoint.id).' })
  @IsUUID()
  endpointId!: string;

  @Field(() => WebhookDeliveryStatus, { defaultValue: 'FAILED', description: 'Which deliveries: FAILED by default; PENDING shows what waits (with lastError); DELIVERED ones last until the next cleanup.' })
  status!: WebhookDeliveryStatusValue;

  @Field(() => Int, { defaultValue: 20, description: `How many, 1 to ${WEBHOOK_DELIVERIES_PAGE_MAX}.` })
  @Min(1) @Max(WEBHOOK_DELIVERIES_PAGE_MAX)
  first!: number;

  @Field(() => String, { nullable: true, description: 'The deliveries after this cursor (pageInfo.endCursor).' })
  @IsOptional() @IsDeliveryCursor()
  after!: string | null;
}

@ArgsType()
export class RedeliverWebhookDeliveriesArgs {
  @Field(() => ID, { description: 'The endpoint (WebhookEndpoint.id).' })
  @IsUUID()
  endpointId!: string;

  @Field(() => [ID], { nullable: true, description: `The FAILED deliveries to send again, at most ${WEBHOOK_DELIVERIES_PAGE_MAX}; all of the endpoint's without it.` })
  @IsOptional() @ArrayMaxSize(WEBHOOK_DELIVERIES_PAGE_MAX) @IsUUID('all', { each: true })
  deliveryIds?: string[] | null;
}
