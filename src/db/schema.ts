import { sql } from 'drizzle-orm';
import { bigint, boolean, check, doublePrecision, index, integer, pgEnum, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns.js';

export const deviceTypeEnum = pgEnum('device_type', [
  'DESKTOP', 'MOBILE', 'TABLET', 'TV', 'CONSOLE', 'WEARABLE', 'EMBEDDED', 'BOT', 'UNKNOWN',
]);

/** Why a session ended. All reasons are declared up front so that later features need no enum migration. */
export const revocationReasonEnum = pgEnum('revocation_reason', [
  'LOGOUT', 'REVOKED', 'EXPIRED', 'REFRESH_TOKEN_REUSE', 'PASSWORD_CHANGED', 'SESSION_LIMIT',
]);

export const securityEventTypeEnum = pgEnum('security_event_type', [
  'SIGNED_UP', 'LOGGED_IN', 'LOGIN_FAILED', 'LOGIN_THROTTLED', 'LOGGED_OUT', 'SESSION_REVOKED', 'SESSION_EXPIRED',
  'REFRESH_TOKEN_REUSE', 'PASSWORD_CHANGED', 'REAUTHENTICATED', 'SESSION_LIMIT_REACHED', 'SESSION_RENAMED',
  'BOUND_TOKEN_WITHOUT_PROOF',
]);


/**
 * An account: one that signed up here (email and password), or a user of an app that signs people
 * in itself, known by the app's own id (`external_id`, given to `issueSession`), without a password.
 */
export const users = pgTable('users', {
  id: uuid('id').primaryKey().defaultRandom(),
  /** Trimmed and lower-cased before it is stored, so the unique index is case-insensitive. Optional for an external user. */
  email: text('email'),
  /** Null for an external user: `login` never succeeds for them. */
  passwordHash: text('password_hash'),
  /** The app's own id for an external user, at most 255 characters. */
  externalId: text('external_id'),
  createdAt: timestamptz('created_at').notNull(),
}, (t) => [
  uniqueIndex('users_email_key').on(t.email),
  uniqueIndex('users_external_id_key').on(t.externalId),
  // A user is someone: signed up here with a password (so an email), or known by the app's id.
  check('users_identity_check', sql`(${t.email} IS NOT NULL AND ${t.passwordHash} IS NOT NULL) OR ${t.externalId} IS NOT NULL`),
]);

export const sessions = pgTable('sessions', {
  id: uuid('id').primaryKey().defaultRandom(),
  userId: uuid('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  /** Hex SHA-256 of the current access token; a raw token is never stored. */
  accessTokenHash: text('access_token_hash').notNull(),
  /** Hex SHA-256 of the current refresh token. */
  refreshTokenHash: text('refresh_token_hash').notNull(),
  /** The name the client gave (at sign-in or with renameSession), else `device_label`. */
  deviceName: text('device_name').notNull(),
  /** What the User-Agent and Client Hints say the device is ("Chrome 124 on macOS"), whatever its name; null on sessions older than it. */
  deviceLabel: text('device_label'),
  deviceType: deviceTypeEnum('device_type').notNull(),
  os: text('os'),
  browser: text('browser'),
  deviceId: text('device_id'),
  userAgent: text('user_agent'),
  ipAddress: text('ip_address'),
  /** Where `ip_address` was at sign-in, from the geolocation database. */
  locationCity: text('location_city'),
  locationRegion: text('location_region'),
  locationCountryCode: text('location_country_code'),
  cpuCores: integer('cpu_cores'),
  ramGb: doublePrecision('ram_gb'),
  internetSpeedMbps: doublePrecision('internet_speed_mbps'),
  createdAt: timestamptz('created_at').notNull(),
  lastActiveAt: timestamptz('last_active_at').notNull(),
  expiresAt: timestamptz('expires_at').notNull(),
  revokedAt: timestamptz('revoked_at'),
  revokedReason: revocationReasonEnum('revoked_reason'),
  /** Whether the user had never signed in from this device when this session did; false on sessions older than it. */
  isNewDevice: boolean('is_new_device').notNull().default(false),
  /** When this session last proved the password (login, reauthenticate, changePassword): sudo mode. */
  freshAuthAt: timestamptz('fresh_auth_at'),
  /** The RFC 7638 thumbprint of the device key a DPoP-bound session is bound to; null when it is not bound. */
  dpopJkt: text('dpop_jkt'),
}, (t) => [
  uniqueIndex('sessions_refresh_token_hash_key').on(t.refreshTokenHash),
  // Serves the foreign key and the caller's list of live sessions.
  index('sessions_user_id_active_idx').on(t.userId, t.lastActiveAt).where(sql`${t.revokedAt} IS NULL`),
  index('sessions_user_id_idx').on(t.userId),
  // The expiry sweep's two conditions, over live rows only.
  index('sessions_live_expires_at_idx').on(t.expiresAt).where(sql`${t.revokedAt} IS NULL`),
  index('sessions_live_last_active_at_idx').on(t.lastActiveAt).where(sql`${t.revokedAt} IS NULL`),
  // Cleanup finds long-ended sessions without reading live ones.
  index('sessions_ended_revoked_at_idx').on(t.revokedAt).where(sql`${t.revokedAt} IS NOT NULL`),
]);

/** Refresh tokens rotated away, kept to recognise a replay (reuse) for as long as their session exists. */
export const rotatedRefreshTokens = pgTable('rotated_refresh_tokens', {
  /** Hex SHA-256 of the old refresh token. */
  tokenHash: text('token_hash').primaryKey(),
  sessionId: uuid('session_id').notNull().references(() => sessions.id, { onDelete: 'cascade' }),
  rotatedAt: timestamptz('rotated_at').notNull(),
}, (t) => [index('rotated_refresh_tokens_session_id_idx').on(t.sessionId)]);

/** The account's security activity, written in the transaction of the change it records. */
export const securityEvents = pgTable('security_events', {
  id: uuid('id').primaryKey().defaultRandom(),
  /** Insertion order: pages are cut on it, so events of the same millisecond keep their order. */
  seq: bigint('seq', { mode: 'number' }).generatedAlwaysAsIdentity().notNull(),
  userId: uuid('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  type: securityEventTypeEnum('type').notNull(),
  /** The session the event concerns; no foreign key, as events outlive the sessions cleanup removes. */
  sessionId: uuid('session_id'),
  /** The session that caused it, when another one did (which device revoked this one). */
  actorSessionId: uuid('actor_session_id'),
  /** The name of the service key that caused it, when a backend did ("support"). */
  actorServiceKey: text('actor_service_key'),
  /** The words given with it: revokeUserSessions' `reason`. */
  note: text('note'),
  ipAddress: text('ip_address'),
  deviceName: text('device_name'),
  userAgent: text('user_agent'),
  /** On LOGGED_IN and SIGNED_UP: whether the user had never signed in from this device. */
  isNewDevice: boolean('is_new_device'),
  createdAt: timestamptz('created_at').notNull(),
}, (t) => [
  index('security_events_user_id_seq_idx').on(t.userId, t.seq),
  index('security_events_created_at_idx').on(t.createdAt),
]);

/**
 * One row per password check that did not succeed, counted over a window to throttle guessing. The
 * row is written before the check runs (the check's budget) and removed if it succeeds.
 */
export const loginFailures = pgTable('login_failures', {
  id: uuid('id').primaryKey().defaultRandom(),
  /** Order in which attempts took their budget: a success forgives only the failures before it. */
  seq: bigint('seq', { mode: 'number' }).generatedAlwaysAsIdentity().notNull(),
  /** Hex SHA-256 of the normalized email: enough to count, without keeping typed addresses. */
  emailHash: text('email_hash').notNull(),
  ipAddress: text('ip_address').notNull(),
  createdAt: timestamptz('created_at').notNull(),
}, (t) => [
  index('login_failures_email_ip_idx').on(t.emailHash, t.ipAddress, t.createdAt),
  index('login_failures_ip_idx').on(t.ipAddress, t.createdAt),
  index('login_failures_created_at_idx').on(t.createdAt),
]);

/**
 * DPoP proofs seen, by the SHA-256 of their key and `jti`, until their `iat` window has passed: a
 * proof replayed on any instance finds its row. The cleanup removes expired rows. UNLOGGED (by
 * migration 0012): no WAL flush per request, and a crash forgets at most a minute of proofs.
 */
export const dpopProofs = pgTable('dpop_proofs', {
  proofHash: text('proof_hash').primaryKey(),
  expiresAt: timestamptz('expires_at').notNull(),
}, (t) => [index('dpop_proofs_expires_at_idx').on(t.expiresAt)]);

/** One row per `signUp` attempt, counted per client address over a window to throttle account creation. */
export const signUpAttempts = pgTable('sign_up_attempts', {
  id: uuid('id').primaryKey().defaultRandom(),
  ipAddress: text('ip_address').notNull(),
  createdAt: timestamptz('created_at').notNull(),
}, (t) => [
  index('sign_up_attempts_ip_idx').on(t.ipAddress, t.createdAt),
  index('sign_up_attempts_created_at_idx').on(t.createdAt),
]);

/**
 * Credentials of the app's trusted backends (`Authorization: Bearer sk_…`), kept only as the
 * SHA-256 of the key. Made, listed and revoked with `npm run keys`; a key never acts as a user.
 */
export const serviceKeys = pgTable('service_keys', {
  id: uuid('id').primaryKey().defaultRandom(),
  /** Who holds it, as security events name it ("support", "billing"). */
  name: text('name').notNull(),
  keyHash: text('key_hash').notNull(),
  scopes: text('scopes').array().notNull(),
  createdAt: timestamptz('created_at').notNull(),
  lastUsedAt: timestamptz('last_used_at'),
  expiresAt: timestamptz('expires_at'),
  revokedAt: timestamptz('revoked_at'),
}, (t) => [
  uniqueIndex('service_keys_key_hash_idx').on(t.keyHash),
  // A name is one live key's: a revoked key's name may be given again.
  uniqueIndex('service_keys_live_name_idx').on(t.name).where(sql`${t.revokedAt} IS NULL`),
]);

export type UserRow = typeof users.$inferSelect;
export type SessionRow = typeof sessions.$inferSelect;
/** A session as a client may see it: everything but the token hashes, its end and sudo mode. */
export type PublicSession = Omit<SessionRow, 'accessTokenHash' | 'refreshTokenHash' | 'revokedAt' | 'revokedReason' | 'freshAuthAt'>;
export type RevocationReason = (typeof revocationReasonEnum.enumValues)[number];
export type DeviceType = (typeof deviceTypeEnum.enumValues)[number];
export type SecurityEventType = (typeof securityEventTypeEnum.enumValues)[number];

// Session events for apps' backends: the outbox, its deliveries and the endpoints.
export * from './webhook-schema.js';
