import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { webhookDeliveryStatusEnum, webhookFormatEnum, type WebhookDeliveryStatus as WebhookDeliveryStatusValue, type WebhookFormat as WebhookFormatValue } from '../db/schema.js';
import type { WebhookEventType as WebhookEventTypeValue } from '../events/event-types.js';
import { enumOf } from './enum-of.js';
import { PageInfo } from './page-info.type.js';

export const WebhookFormat = enumOf(webhookFormatEnum.enumValues);
registerEnumType(WebhookFormat, {
  name: 'WebhookFormat',
  description: 'How an endpoint is told of events.',
  valuesConfig: {
    STANDARD_WEBHOOKS: { description: 'A JSON body (type, id, timestamp, data) signed per Standard Webhooks: webhook-id, webhook-timestamp and webhook-signature (v1, HMAC-SHA256 with the endpoint\'s whsec_ secret). Any 2xx answer is success.' },
    SECURITY_EVENT_TOKEN: { description: 'A CAEP event as an RFC 8417 Security Event Token signed ES256 with the key at /.well-known/jwks.json, pushed per RFC 8935 (application/secevent+jwt, 202 expected): session-established, session-revoked, credential-change.' },
    BACK_CHANNEL_LOGOUT: { description: 'An OpenID Back-Channel Logout Token (sub: the user, sid: the session) for each ended session, form-posted as logout_token, signed like the Security Event Tokens.' },
  } satisfies Record<WebhookFormatValue, { description: string }>,
});

/** GraphQL names for the wire types: the enum's values are the strings sent as `type`. */
export const WebhookEventType = {
  SESSION_CREATED: 'session.created',
  SESSION_REFRESHED: 'session.refreshed',
  SESSION_RENAMED: 'session.renamed',
  SESSION_ENDED: 'session.ended',
  REFRESH_TOKEN_REUSED: 'session.refresh_token_reused',
  PASSWORD_CHANGED: 'user.password_changed',
} as const satisfies Record<string, WebhookEventTypeValue>;
registerEnumType(WebhookEventType, {
  name: 'WebhookEventType',
  description: 'A session event an endpoint can be sent; on the wire its `type` is the lower-case dotted name (session.ended).',
  valuesConfig: {
    SESSION_CREATED: { description: 'session.created: a sign-up, login or issueSession made a session; data.isNewDevice says whether the user had never signed in from that device.' },
    SESSION_REFRESHED: { description: 'session.refreshed: a session\'s tokens were rotated by refreshSession.' },
    SESSION_RENAMED: { description: 'session.renamed: a session was given a name with renameSession (data.deviceName).' },
    SESSION_ENDED: { description: 'session.ended: a session ended, with data.reason (LOGOUT, REVOKED, EXPIRED, PASSWORD_CHANGED, SESSION_LIMIT, REFRESH_TOKEN_REUSE) and data.actor.' },
    REFRESH_TOKEN_REUSED: { description: 'session.refresh_token_reused: a rotated-away refresh token came back, so the session was ended as stolen; sent just before its session.ended.' },
    PASSWORD_CHANGED: { description: 'user.password_changed: the user changed their password (data.sessionId is null; data.actor.sessionId is where from).' },
  } satisfies Record<keyof typeof WebhookEventType, { description: string }>,
});

export const WebhookDeliveryStatus = enumOf(webhookDeliveryStatusEnum.enumValues);
registerEnumType(WebhookDeliveryStatus, {
  name: 'WebhookDeliveryStatus',
  description: 'Where a delivery of one event to one endpoint stands.',
  valuesConfig: {
    PENDING: { description: 'Not delivered yet: being sent, or waiting for its next attempt.' },
    DELIVERED: { description: 'The endpoint accepted it (2xx). Removed by the next cleanup.' },
    FAILED: { description: 'Retried for WEBHOOK_RETRY_HOURS without success; redeliverWebhookDeliveries sends it again.' },
  } satisfies Record<WebhookDeliveryStatusValue, { description: string }>,
});

@ObjectType({ description: "Where session events are sent: an app's backend. Its secret is shown only when made and when rotated.", simpleResolvers: true })
export class WebhookEndpoint {
  @Field(() => ID, { description: "The endpoint's id, for the other webhook fields." })
  id!: string;

  @Field(() => String, { description: 'Where events are POSTed.' })
  url!: string;

  @Field(() => WebhookFormat, { description: 'How it is told of events.' })
  format!: WebhookFormatValue;

  @Field(() => [WebhookEventType], { description: 'The events it is sent.' })
  eventTypes!: WebhookEventTypeValue[];

  @Field(() => String, { nullable: true, description: 'What it is for, as its maker wrote it.' })
  description!: string | null;

  @Field(() => String, { nullable: true, description: 'The `aud` of the tokens it is sent (the token formats); null for STANDARD_WEBHOOKS.' })
  audience!: string | null;

  @Field(() => String, { description: 'The service key that made it, by name.' })
  createdBy!: string;

  @Field(() => Date, { description: 'When it was made.' })
  createdAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When deliveries to it stopped; null while it is enabled.' })
  disabledAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'Why: GONE when it answered 410, else the name of the key that disabled it.' })
  disabledReason!: string | null;

  @Field(() => Date, { nullable: true, description: 'Until when the secret before the last rotation still signs beside the new one.' })
  previousSecretExpiresAt!: Date | null;
}

@ObjectType({ description: 'An endpoint with its signing secret, shown this once.', simpleResolvers: true })
export class WebhookEndpointWithSecret {
  @Field(() => WebhookEndpoint, { description: 'The endpoint.' })
  endpoint!: WebhookEndpoint;

  @Field(() => String, { nullable: true, description: 'The Standard Webhooks secret (whsec_…) to verify signatures with; null for the token formats, which verify against /.well-known/jwks.json. Never shown again.' })
  secret!: string | null;
}

@ObjectType({ description: 'One event on its way to one endpoint.', simpleResolvers: true })
export class WebhookDelivery {
  @Field(() => ID, { description: "The delivery's id, for redeliverWebhookDeliveries." })
  id!: string;

  @Field(() => ID, { description: 'The event: webhook-id, and the jti of a Security Event Token.' })
  eventId!: string;

  @Field(() => WebhookEventType, { description: 'What the event is.' })
  eventType!: WebhookEventTypeValue;

  @Field(() => ID, { description: 'The user it concerns.' })
  userId!: string;

  @Field(() => ID, { nullable: true, description: 'The session it concerns; null for an event of the user (PASSWORD_CHANGED).' })
  sessionId!: string | null;

  @Field(() => Date, { description: 'When the event happened.' })
  occurredAt!: Date;

  @Field(() => WebhookDeliveryStatus, { description: 'Where it stands.' })
  status!: WebhookDeliveryStatusValue;

  @Field(() => Int, { description: 'Attempts so far.' })
  attempts!: number;

  @Field(() => Date, { nullable: true, description: 'When it was last sent; null before its first attempt.' })
  lastAttemptAt!: Date | null;

  @Field(() => Date, { description: 'When the next attempt is due (while PENDING).' })
  nextAttemptAt!: Date;

  @Field(() => Int, { nullable: true, description: 'The HTTP status of the last answer; null when there was none (refused, timed out).' })
  lastResponseStatus!: number | null;

  @Field(() => String, { nullable: true, description: 'Why the last attempt failed, in words.' })
  lastError!: string | null;

  @Field(() => Date, { nullable: true, description: 'When it was delivered, or given up.' })
  finishedAt!: Date | null;
}

@ObjectType({ description: 'One delivery in a page of them.', simpleResolvers: true })
export class WebhookDeliveryEdge {
  @Field(() => String, { description: 'Where this delivery sits: pass it as `after` for those after it.' })
  cursor!: string;

  @Field(() => WebhookDelivery, { description: 'The delivery.' })
  node!: WebhookDelivery;
}

@ObjectType({ description: "A page of an endpoint's deliveries, newest event first.", simpleResolvers: true })
export class WebhookDeliveryConnection {
  @Field(() => [WebhookDeliveryEdge], { description: 'The deliveries of this page.' })
  edges!: WebhookDeliveryEdge[];

  @Field(() => PageInfo, { description: 'Whether more follow, and the cursor to get them.' })
  pageInfo!: PageInfo;
}
