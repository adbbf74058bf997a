import { and, desc, eq, inArray, lt, sql, type SQL } from 'drizzle-orm';
import type { Clock } from '../clock.js';
import type { Db } from '../db/client.js';
import { sessions, users, type DeviceType, type PublicSession } from '../db/schema.js';
import type { Actor, Revoker } from './revocations.js';
import type { EventCursor, SecurityEventPage, SecurityEvents } from './security-events.js';
import { endOf, isLive, sessionEndColumns, type SessionEnd } from './session-lifetime.js';
import { publicSessionColumns } from './session-shapes.js';

/** Whom a backend means: this server's id for the user, or the app's own (`externalId`). */
export type UserRef = { userId: string } | { externalId: string };

/** Which of a user's live sessions `revokeUserSessions` ends: all of them without a filter, else those matching every one given. */
export interface SessionFilter {
  sessionIds?: readonly string[] | null;
  deviceType?: DeviceType | null;
  countryCode?: string | null;
  createdBefore?: Date | null;
  lastActiveBefore?: Date | null;
}

/** Where a page of sessions ends: the last one's sign-in time and id. */
export interface SessionCursor {
  createdAt: Date;
  id: string;
}

export interface UserSessionPage {
  sessions: Array<PublicSession & { end: SessionEnd | undefined }>;
  hasNextPage: boolean;
  hasPreviousPage: boolean;
}

export interface UserAdminDeps {
  db: Db;
  clock: Clock;
  revoker: Revoker;
  events: SecurityEvents;
  idleTimeoutSeconds: number;
}

export type UserAdmin = ReturnType<typeof createUserAdmin>;

/**
 * The user's id, in the statement that uses it: an external id is looked up there, so an unknown
 * user simply matches nothing, with no check before the act.
 */
function userIdOf(ref: UserRef): SQL {
  return 'userId' in ref ? sql`${ref.userId}::uuid` : sql`(SELECT ${users.id} FROM ${users} WHERE ${users.externalId} = ${ref.externalId})`;
}

/** After `cursor` in the order newest sign-in first (ties by id), or at it and before with `orAt`. */
function pastCursor(cursor: SessionCursor, orAt = false): SQL {
  const row = sql`(${sessions.createdAt}, ${sessions.id})`;
  const at = sql`(${cursor.createdAt.toISOString()}::timestamptz, ${cursor.id}::uuid)`;
  return orAt ? sql`${row} >= ${at}` : sql`${row} < ${at}`;
}

/** Any user's sessions and security activity, and ending their sessions: what an app's backend may do with its key. */
export function createUserAdmin({ db, clock, revoker, events, idleTimeoutSeconds }: UserAdminDeps) {
  return {
    /** The user's sessions, newest sign-in first: the live ones, or all with `includeEnded`, each with its end. */
    async sessionsPage(ref: UserRef, { includeEnded, first, after }: { includeEnded: boolean; first: number; after: SessionCursor | null }): Promise<UserSessionPage> {
      const now = clock.now();
      const listed = and(eq(sessions.userId, userIdOf(ref)), includeEnded ? undefined : isLive(now, idleTimeoutSeconds));
      const [rows, earlier] = await Promise.all([
        db
          .select({ ...publicSessionColumns, ...sessionEndColumns })
          .from(sessions)
          .where(and(listed, after ? pastCursor(after) : undefined))
          .orderBy(desc(sessions.createdAt), desc(sessions.id))
          .limit(first + 1),
        after ? db.select({ id: sessions.id }).from(sessions).where(and(listed, pastCursor(after, true))).limit(1) : [],
      ]);
      const page = rows.slice(0, first).map((row) => {
        const { revokedAt: _revokedAt, revokedReason: _revokedReason, ...session } = row;
        return { ...session, end: endOf(row, now, idleTimeoutSeconds) };
      });
      return { sessions: page, hasNextPage: rows.length > first, hasPreviousPage: earlier.length > 0 };
    },

    /** Ends the user's live sessions that match `filter`, in one statement, pushed and recorded with the key as the actor; how many. */
    async revokeSessions(ref: UserRef, filter: SessionFilter, actor: Actor): Promise<number> {
      const where = and(
        eq(sessions.userId, userIdOf(ref)),
        filter.sessionIds ? inArray(sessions.id, [...filter.sessionIds]) : undefined,
        filter.deviceType ? eq(sessions.deviceType, filter.deviceType) : undefined,
        filter.countryCode ? eq(sessions.locationCountryCode, filter.countryCode) : undefined,
        filter.createdBefore ? lt(sessions.createdAt, filter.createdBefore) : undefined,
        filter.lastActiveBefore ? lt(sessions.lastActiveAt, filter.lastActiveBefore) : undefined,
      )!;
      return (await revoker.revoke({ where, reason: 'REVOKED', actor })).length;
    },

    /** The user's security events, newest first, as `mySecurityEvents` pages them. */
    eventsPage(ref: UserRef, first: number, after: EventCursor | null): Promise<SecurityEventPage> {
      return events.page(userIdOf(ref), first, after);
    },
  };
}

/** Opaque to clients: base64url of a tagged position. */
export function encodeSessionCursor({ createdAt, id }: SessionCursor): string {
  return Buffer.from(`us:${createdAt.getTime()}:${id}`).toString('base64url');
}

/** The cursor, or null when the string is not one of ours. */
export function decodeSessionCursor(cursor: string): SessionCursor | null {
  if (cursor.length > 80) return null;
  const match = /^us:(\d{1,15}):([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/.exec(Buffer.from(cursor, 'base64url').toString());
  return match ? { createdAt: new Date(Number(match[1])), id: match[2]! } : null;
}
