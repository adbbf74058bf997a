/** What sessions look like to the rest of the server: the columns a client may see, and the results of the checks. */
import { sql, type SQL } from 'drizzle-orm';
import { sessions, users, type PublicSession } from '../db/schema.js';
import type { SessionEnd } from './session-lifetime.js';

/** The columns of a session a client may see: everything but the token hashes and revocation. */
export const publicSessionColumns = {
  id: sessions.id,
  userId: sessions.userId,
  deviceName: sessions.deviceName,
  deviceLabel: sessions.deviceLabel,
  deviceType: sessions.deviceType,
  os: sessions.os,
  browser: sessions.browser,
  deviceId: sessions.deviceId,
  userAgent: sessions.userAgent,
  ipAddress: sessions.ipAddress,
  locationCity: sessions.locationCity,
  locationRegion: sessions.locationRegion,
  locationCountryCode: sessions.locationCountryCode,
  cpuCores: sessions.cpuCores,
  ramGb: sessions.ramGb,
  internetSpeedMbps: sessions.internetSpeedMbps,
  createdAt: sessions.createdAt,
  lastActiveAt: sessions.lastActiveAt,
  expiresAt: sessions.expiresAt,
  isNewDevice: sessions.isNewDevice,
  dpopJkt: sessions.dpopJkt,
};

/** A public session as a statement reads it from a part (`publicColumnsOf`): its times are text on postgres.js. */
export type StoredPublicSession = Omit<PublicSession, 'createdAt' | 'lastActiveAt' | 'expiresAt'> & Record<'createdAt' | 'lastActiveAt' | 'expiresAt', Date | string>;

/** `publicSessionColumns` of the sessions a statement's part returned, under their keys. */
export function publicColumnsOf(part: string): SQL {
  return sql.join(Object.entries(publicSessionColumns).map(([key, column]) => sql`${sql.identifier(part)}.${sql.identifier(column.name)} AS ${sql.identifier(key)}`), sql`, `);
}

export function toPublicSession(row: StoredPublicSession): PublicSession {
  return { ...row, createdAt: new Date(row.createdAt), lastActiveAt: new Date(row.lastActiveAt), expiresAt: new Date(row.expiresAt) };
}

export const publicUserColumns = { id: users.id, email: users.email, externalId: users.externalId, createdAt: users.createdAt };

/** An account as a client may see it. An external user may have no email; one who signed up here has no `externalId`. */
export interface PublicUser { id: string; email: string | null; externalId: string | null; createdAt: Date }

/** A freshly issued token pair, with the session it belongs to. */
export interface IssuedSession {
  user: PublicUser;
  session: PublicSession;
  accessToken: string;
  accessTokenExpiresAt: Date;
  refreshToken: string;
  /** Whether the user had never signed in from this device; false for a refresh. */
  isNewDevice: boolean;
}

/** Who made a request, once their access token and session have been checked. */
export interface Authenticated {
  user: PublicUser;
  sessionId: string;
  /** When this session last proved the password; null if never since it was created. */
  freshAuthAt: Date | null;
  /** When the access token the check was made with expires: a socket opened with it is closed then. */
  tokenExpiresAt: Date;
  /** The device key the session is bound to (DPoP), which this request proved it holds; null for a bearer session. */
  boundTo: string | null;
}

export type AuthFailure = 'malformed' | 'expired' | 'invalid' | 'revoked' | 'rotated' | 'dpop';

/**
 * The check's answer. A failure because the session is over (revoked, past its lifetime or idle
 * timeout, or its row gone) says how it ended; `expired` without `ended` is an access token past its own `exp`.
 */
export type AuthCheck = { ok: true; auth: Authenticated } | { ok: false; reason: AuthFailure; ended?: SessionEnd; dpopError?: string };

/**
 * How an access token came with its request: `Authorization: Bearer`, or `Authorization: DPoP`
 * with a proof (the `DPoP` header, or `dpop` in `connection_init`) for the request it came with.
 */
export interface TokenPresentation {
  scheme: 'bearer' | 'dpop';
  proof?: string;
  /** The request: its method and the URL its client addressed. */
  target: { method: string; url: string };
}
