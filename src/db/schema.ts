import { sql } from 'drizzle-orm';
import { doublePrecision, index, integer, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

export const deviceTypeEnum = pgEnum('device_type', [
  'DESKTOP', 'MOBILE', 'TABLET', 'TV', 'CONSOLE', 'WEARABLE', 'EMBEDDED', 'BOT', 'UNKNOWN',
]);

/** Why a session ended. All reasons are declared up front so that later features need no enum migration. */
export const revocationReasonEnum = pgEnum('revocation_reason', [
  'LOGOUT', 'REVOKED', 'EXPIRED', 'REFRESH_TOKEN_REUSE', 'PASSWORD_CHANGED', 'SESSION_LIMIT',
]);

const timestamptz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const users = pgTable('users', {
  id: uuid('id').primaryKey().defaultRandom(),
  /** Trimmed and lower-cased before it is stored, so the unique index is case-insensitive. */
  email: text('email').notNull(),
  passwordHash: text('password_hash').notNull(),
  createdAt: timestamptz('created_at').notNull(),
}, (t) => [uniqueIndex('users_email_key').on(t.email)]);

export const sessions = pgTable('sessions', {
  id: uuid('id').primaryKey().defaultRandom(),
  userId: uuid('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  /** Hex SHA-256 of the current access token; a raw token is never stored. */
  accessTokenHash: text('access_token_hash').notNull(),
  /** Hex SHA-256 of the current refresh token. */
  refreshTokenHash: text('refresh_token_hash').notNull(),
  deviceName: text('device_name').notNull(),
  deviceType: deviceTypeEnum('device_type').notNull(),
  os: text('os'),
  browser: text('browser'),
  deviceId: text('device_id'),
  userAgent: text('user_agent'),
  ipAddress: text('ip_address'),
  cpuCores: integer('cpu_cores'),
  ramGb: doublePrecision('ram_gb'),
  internetSpeedMbps: doublePrecision('internet_speed_mbps'),
  createdAt: timestamptz('created_at').notNull(),
  lastActiveAt: timestamptz('last_active_at').notNull(),
  expiresAt: timestamptz('expires_at').notNull(),
  revokedAt: timestamptz('revoked_at'),
  revokedReason: revocationReasonEnum('revoked_reason'),
}, (t) => [
  uniqueIndex('sessions_refresh_token_hash_key').on(t.refreshTokenHash),
  // Serves the foreign key and the caller's list of live sessions.
  index('sessions_user_id_active_idx').on(t.userId, t.lastActiveAt).where(sql`${t.revokedAt} IS NULL`),
  index('sessions_user_id_idx').on(t.userId),
]);

export type UserRow = typeof users.$inferSelect;
export type SessionRow = typeof sessions.$inferSelect;
export type NewSessionRow = typeof sessions.$inferInsert;
export type RevocationReason = (typeof revocationReasonEnum.enumValues)[number];
export type DeviceType = (typeof deviceTypeEnum.enumValues)[number];
