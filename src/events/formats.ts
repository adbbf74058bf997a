import { createHmac } from 'node:crypto';
import { SignJWT } from 'jose';
import type { RevocationReason, WebhookFormat } from '../db/schema.js';
import { WEBHOOK_EVENT_TYPES, type OutboxEvent, type WebhookEventType } from './event-types.js';
import { EVENT_SIGNING_ALGORITHM, type EventSigningKey } from './signing-key.js';

/** What one delivery sends, whatever the format. */
export interface OutgoingRequest {
  headers: Record<string, string>;
  body: string;
}

/** What an endpoint's format needs to make its request. */
export interface EndpointCredentials {
  format: WebhookFormat;
  /** Standard Webhooks: every secret that signs now (two during a rotation's grace period), `whsec_…`. */
  secrets: readonly string[];
  /** The token formats' `aud`. */
  audience: string;
}

export interface Signer {
  key: EventSigningKey;
  /** The `iss` of every token: this server's public URL. */
  issuer: string;
}

const CAEP = 'https://schemas.openid.net/secevent/caep/event-type';
const BACK_CHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** OpenID Back-Channel Logout recommends a short life: the token is made afresh for every attempt. */
const LOGOUT_TOKEN_TTL_SECONDS = 120;

/** The events each format can carry: CAEP defines three of ours, back-channel logout one. */
export const EVENT_TYPES_OF_FORMAT: Record<WebhookFormat, readonly WebhookEventType[]> = {
  STANDARD_WEBHOOKS: WEBHOOK_EVENT_TYPES,
  SECURITY_EVENT_TOKEN: ['session.created', 'session.ended', 'user.password_changed'],
  BACK_CHANNEL_LOGOUT: ['session.ended'],
};

/** Builds the request for one attempt: signed now, so its timestamp is the attempt's. */
export async function buildRequest(event: OutboxEvent, endpoint: EndpointCredentials, signer: Signer, now: Date): Promise<OutgoingRequest> {
  switch (endpoint.format) {
    case 'STANDARD_WEBHOOKS':
      return standardWebhook(event, endpoint.secrets, now);
    case 'SECURITY_EVENT_TOKEN':
      return { headers: { 'content-type': 'application/secevent+jwt', accept: 'application/json' }, body: await securityEventToken(event, endpoint.audience, signer, now) };
    case 'BACK_CHANNEL_LOGOUT':
      return { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ logout_token: await logoutToken(event, endpoint.audience, signer, now) }).toString() };
  }
}

/**
 * The Standard Webhooks format: `webhook-signature` is `v1,` and the base64 HMAC-SHA256 of
 * `id.timestamp.body` under the secret's bytes, once per secret, space-separated.
 */
export function standardWebhook(event: OutboxEvent, secrets: readonly string[], now: Date): OutgoingRequest {
  const body = JSON.stringify({ type: event.type, id: event.id, timestamp: event.occurredAt.toISOString(), data: event.data });
  const timestamp = String(Math.floor(now.getTime() / 1000));
  const signatures = secrets.map((secret) => {
    const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
    return `v1,${createHmac('sha256', key).update(`${event.id}.${timestamp}.${body}`).digest('base64')}`;
  });
  return {
    headers: { 'content-type': 'application/json', 'webhook-id': event.id, 'webhook-timestamp': timestamp, 'webhook-signature': signatures.join(' ') },
    body,
  };
}

/** An RFC 8417 Security Event Token carrying the CAEP event, subject `complex`: the user (`iss_sub`) and the session (`opaque`). */
async function securityEventToken(event: OutboxEvent, audience: string, { key, issuer }: Signer, now: Date): Promise<string> {
  const { data } = event;
  const subject = {
    format: 'complex',
    user: { format: 'iss_sub', iss: issuer, sub: data.userId },
    ...(data.sessionId ? { session: { format: 'opaque', id: data.sessionId } } : {}),
  };
  const common = { event_timestamp: Math.floor(event.occurredAt.getTime() / 1000), initiating_entity: data.actor.initiatedBy };
  return new SignJWT({ sub_id: subject, events: { [caepEventOf(event)]: { ...common, ...caepDetailsOf(event) } } })
    .setProtectedHeader({ alg: EVENT_SIGNING_ALGORITHM, kid: key.publicJwk.kid!, typ: 'secevent+jwt' })
    .setIssuer(issuer)
    .setAudience(audience)
    .setJti(event.id)
    .setIssuedAt(Math.floor(now.getTime() / 1000))
    .sign(key.privateKey);
}

function caepEventOf(event: OutboxEvent): string {
  if (event.type === 'session.ended') return `${CAEP}/session-revoked`;
  if (event.type === 'user.password_changed') return `${CAEP}/credential-change`;
  return `${CAEP}/session-established`;
}

function caepDetailsOf({ type, data }: OutboxEvent): Record<string, unknown> {
  if (type === 'user.password_changed') return { credential_type: 'password', change_type: 'update', reason_admin: { en: 'The password was changed.' } };
  if (type === 'session.ended') return { reason_admin: { en: describeEnd(data.reason ?? 'REVOKED', data.actor.serviceKey, data.note) } };
  return data.externalId ? { ext_id: data.externalId } : {};
}

/** An OpenID Back-Channel Logout 1.0 Logout Token: `sub` the user, `sid` the session. */
async function logoutToken(event: OutboxEvent, audience: string, { key, issuer }: Signer, now: Date): Promise<string> {
  const issuedAt = Math.floor(now.getTime() / 1000);
  return new SignJWT({ sid: event.data.sessionId, events: { [BACK_CHANNEL_LOGOUT_EVENT]: {} } })
    .setProtectedHeader({ alg: EVENT_SIGNING_ALGORITHM, kid: key.publicJwk.kid!, typ: 'logout+jwt' })
    .setIssuer(issuer)
    .setSubject(event.data.userId)
    .setAudience(audience)
    .setJti(`${event.id}.${issuedAt}`)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + LOGOUT_TOKEN_TTL_SECONDS)
    .sign(key.privateKey);
}

const END_WORDS: Record<RevocationReason, string> = {
  LOGOUT: 'The user signed out.',
  REVOKED: "Signed out from another of the user's devices.",
  PASSWORD_CHANGED: 'The password was changed, and other sessions were signed out.',
  EXPIRED: 'The session ran out (idle timeout or maximum age).',
  SESSION_LIMIT: "The user's session limit was reached; the least recently used session was ended.",
  REFRESH_TOKEN_REUSE: 'A refresh token was used a second time: the session was ended as stolen.',
};

/** CAEP's `reason_admin`, in words. */
function describeEnd(reason: RevocationReason, serviceKey: string | null, note: string | null): string {
  if (!serviceKey) return END_WORDS[reason];
  return `Ended by the backend holding the service key "${serviceKey}"${note ? `: ${note}` : '.'}`;
}
