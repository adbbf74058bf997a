import type { RevocationReason } from '../db/schema.js';

/**
 * Every event the server tells apps' backends of, as its `type` on the wire. Names follow the
 * Standard Webhooks convention (`group.event`).
 */
export const WEBHOOK_EVENT_TYPES = [
  'session.created',
  'session.refreshed',
  'session.renamed',
  'session.ended',
  'session.refresh_token_reused',
  'user.password_changed',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Who set an event off, in CAEP's words (`initiating_entity`): the user, an admin (a service key), a policy (a timeout, the session cap), or the system itself (a detected reuse). */
export type InitiatingEntity = 'user' | 'admin' | 'policy' | 'system';

/** One event, as the change that causes it writes it to the outbox. Its session and user are read in the same statement. */
export interface OutboxEventInput {
  type: WebhookEventType;
  userId: string;
  /** Null for an event of the user's (a password change). */
  sessionId: string | null;
  at: Date;
  initiatedBy: InitiatingEntity;
  /** The session that caused it, when the user acted from one. */
  actorSessionId?: string | null;
  /** The service key that caused it, by name. */
  actorServiceKey?: string | null;
  /** The words given with it (revokeUserSessions' `reason`). */
  note?: string | null;
  /** Why the session ended (`session.ended`). */
  reason?: RevocationReason;
  /** Whether the user had never signed in from this device (`session.created`). */
  isNewDevice?: boolean;
}

/** An event as it is sent: the `data` of a Standard Webhooks body, and what the token formats are made from. */
export interface OutboxEvent {
  id: string;
  type: WebhookEventType;
  occurredAt: Date;
  data: EventData;
}

export interface EventData {
  userId: string;
  externalId: string | null;
  sessionId: string | null;
  deviceName: string | null;
  deviceLabel: string | null;
  deviceType: string | null;
  ipAddress: string | null;
  location: { city: string | null; region: string | null; countryCode: string } | null;
  isNewDevice: boolean | null;
  reason: RevocationReason | null;
  note: string | null;
  actor: { initiatedBy: InitiatingEntity; sessionId: string | null; serviceKey: string | null };
}

/** Who ends a session for each reason, when no service key did. */
const INITIATOR_OF_REASON: Record<RevocationReason, InitiatingEntity> = {
  LOGOUT: 'user',
  REVOKED: 'user',
  PASSWORD_CHANGED: 'user',
  EXPIRED: 'policy',
  SESSION_LIMIT: 'policy',
  REFRESH_TOKEN_REUSE: 'system',
};

export function initiatorOf(reason: RevocationReason, actor: { serviceKey?: string } | undefined): InitiatingEntity {
  return actor?.serviceKey ? 'admin' : INITIATOR_OF_REASON[reason];
}
