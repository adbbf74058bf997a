import { randomUUID } from 'node:crypto';
import { and, desc, eq, gt, inArray, isNull, lte, ne, sql, type SQL } from 'drizzle-orm';
import type { Clock } from '../clock.js';
import type { Db } from '../db/client.js';
import { sessions, users, type RevocationReason, type SessionRow } from '../db/schema.js';
import type { DeviceDetails } from '../devices/device-info.js';
import type { Logger } from '../logger.js';
import type { RevocationBus, RevocationEvent } from '../realtime/revocation-bus.js';
import { generateRefreshToken, hashToken, isSameHash, type AccessTokens } from './tokens.js';

/** The columns of a session a client may see: everything but the token hashes and revocation. */
export const publicSessionColumns = {
  id: sessions.id,
  userId: sessions.userId,
  deviceName: sessions.deviceName,
  deviceType: sessions.deviceType,
  os: sessions.os,
  browser: sessions.browser,
  deviceId: sessions.deviceId,
  userAgent: sessions.userAgent,
  ipAddress: sessions.ipAddress,
  cpuCores: sessions.cpuCores,
  ramGb: sessions.ramGb,
  internetSpeedMbps: sessions.internetSpeedMbps,
  createdAt: sessions.createdAt,
  lastActiveAt: sessions.lastActiveAt,
  expiresAt: sessions.expiresAt,
};

const publicUserColumns = { id: users.id, email: users.email, createdAt: users.createdAt };

export type PublicSession = Omit<SessionRow, 'accessTokenHash' | 'refreshTokenHash' | 'revokedAt' | 'revokedReason'>;
export interface PublicUser { id: string; email: string; createdAt: Date }

/** A freshly issued token pair, with the session it belongs to. */
export interface IssuedSession {
  user: PublicUser;
  session: PublicSession;
  accessToken: string;
  accessTokenExpiresAt: Date;
  refreshToken: string;
}

/** Who made a request, once their access token and session have been checked. */
export interface Authenticated {
  user: PublicUser;
  sessionId: string;
}

export type AuthFailure = 'malformed' | 'expired' | 'invalid' | 'revoked' | 'rotated';
export type AuthCheck = { ok: true; auth: Authenticated } | { ok: false; reason: AuthFailure };

export interface SessionServiceDeps {
  db: Db;
  /** Where the per-request check reads; see `Database.sessionCheckDb`. @default db */
  sessionCheckDb?: Db;
  clock: Clock;
  logger: Logger;
  accessTokens: AccessTokens;
  /** Told of every revocation inside its transaction, so sockets hear of it once it commits. */
  revocations: Pick<RevocationBus, 'publish'>;
  sessionMaxAgeSeconds: number;
  lastActiveWriteIntervalSeconds: number;
}

export type SessionService = ReturnType<typeof createSessionService>;

export function createSessionService(deps: SessionServiceDeps) {
  const { db, clock, logger, accessTokens } = deps;

  const loadSessionForAuth = (deps.sessionCheckDb ?? db)
    .select({
      accessTokenHash: sessions.accessTokenHash,
      revokedAt: sessions.revokedAt,
      expiresAt: sessions.expiresAt,
      lastActiveAt: sessions.lastActiveAt,
      user: publicUserColumns,
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(sessions.id, sql.placeholder('sessionId')))
    .prepare('load_session_for_auth');

  /** Records activity at most once per interval; never awaited by the request it comes from. */
  function touchLastActive(sessionId: string, lastActiveAt: Date, now: Date): void {
    const threshold = new Date(now.getTime() - deps.lastActiveWriteIntervalSeconds * 1000);
    if (lastActiveAt > threshold) return;
    db.update(sessions)
      .set({ lastActiveAt: now })
      // The condition repeats the check in SQL, so concurrent requests and instances write once.
      .where(and(eq(sessions.id, sessionId), lte(sessions.lastActiveAt, threshold)))
      .then(undefined, (error: unknown) => logger.error({ err: error, sessionId }, 'could not record session activity'));
  }

  return {
    /** Creates a session and its first token pair. `tx` lets sign-up create the account in the same transaction. */
    async createSession(user: PublicUser, device: DeviceDetails, ipAddress: string | null, tx: Db = db): Promise<IssuedSession> {
      const now = clock.now();
      const id = randomUUID();
      const expiresAt = new Date(now.getTime() + deps.sessionMaxAgeSeconds * 1000);
      const access = await accessTokens.sign(user.id, id, expiresAt);
      const refreshToken = generateRefreshToken();
      const [session] = await tx
        .insert(sessions)
        .values({
          id,
          userId: user.id,
          accessTokenHash: access.tokenHash,
          refreshTokenHash: hashToken(refreshToken),
          ...device,
          ipAddress,
          createdAt: now,
          lastActiveAt: now,
          expiresAt,
        })
        .returning(publicSessionColumns);
      logger.info({ event: 'session.created', sessionId: id, userId: user.id, deviceName: device.deviceName, ipAddress }, 'session created');
      return { user, session: session!, accessToken: access.token, accessTokenExpiresAt: access.expiresAt, refreshToken };
    },

    /**
     * The per-request check: a valid signature, then the session row (one query, user included),
     * the token's hash compared in constant time, and the session neither revoked nor expired.
     */
    async authenticate(accessToken: string): Promise<AuthCheck> {
      const verified = await accessTokens.verify(accessToken);
      if (!verified.ok) return verified;
      const { sessionId, tokenHash } = verified.claims;
      const [row] = await loadSessionForAuth.execute({ sessionId });
      if (!row || row.user.id !== verified.claims.userId) return { ok: false, reason: 'invalid' };
      const now = clock.now();
      if (row.revokedAt) return { ok: false, reason: 'revoked' };
      if (row.expiresAt <= now) return { ok: false, reason: 'expired' };
      if (!isSameHash(row.accessTokenHash, tokenHash)) return { ok: false, reason: 'rotated' };
      touchLastActive(sessionId, row.lastActiveAt, now);
      return { ok: true, auth: { user: row.user, sessionId } };
    },

    /**
     * Rotates both tokens of the session a refresh token belongs to, in one conditional
     * statement: of concurrent calls with the same token at most one can match.
     */
    async refreshSession(refreshToken: string): Promise<IssuedSession | null> {
      const now = clock.now();
      const [current] = await db
        .select({ id: sessions.id, userId: sessions.userId, expiresAt: sessions.expiresAt })
        .from(sessions)
        // A SHA-256 digest is looked up, not compared by the caller: timing of the index lookup reveals nothing useful.
        .where(and(eq(sessions.refreshTokenHash, hashToken(refreshToken)), isNull(sessions.revokedAt), gt(sessions.expiresAt, now)));
      if (!current) return null;
      const access = await accessTokens.sign(current.userId, current.id, current.expiresAt);
      const nextRefreshToken = generateRefreshToken();
      const [session] = await db
        .update(sessions)
        .set({ accessTokenHash: access.tokenHash, refreshTokenHash: hashToken(nextRefreshToken), lastActiveAt: now })
        .where(and(eq(sessions.id, current.id), eq(sessions.refreshTokenHash, hashToken(refreshToken)), isNull(sessions.revokedAt)))
        .returning(publicSessionColumns);
      if (!session) return null;
      const [user] = await db.select(publicUserColumns).from(users).where(eq(users.id, current.userId));
      logger.info({ event: 'session.refreshed', sessionId: session.id, userId: current.userId }, 'session refreshed');
      return { user: user!, session, accessToken: access.token, accessTokenExpiresAt: access.expiresAt, refreshToken: nextRefreshToken };
    },

    /** The user's live sessions: the current one first, then the most recently active. */
    listSessions(userId: string, currentSessionId: string): Promise<PublicSession[]> {
      return db
        .select(publicSessionColumns)
        .from(sessions)
        .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, clock.now())))
        .orderBy(desc(sql`${sessions.id} = ${currentSessionId}`), desc(sessions.lastActiveAt), desc(sessions.createdAt));
    },

    /** Revokes one live session of this user; false when there is none with that id. */
    async revokeSession(userId: string, sessionId: string, reason: RevocationReason): Promise<boolean> {
      const revoked = await revokeWhere(userId, eq(sessions.id, sessionId), reason);
      return revoked.length === 1;
    },

    /** Revokes every live session of the user but `keepSessionId`, in one statement. */
    async revokeOtherSessions(userId: string, keepSessionId: string): Promise<number> {
      return (await revokeWhere(userId, ne(sessions.id, keepSessionId), 'REVOKED')).length;
    },

    /**
     * Which of these sessions have ended (revoked, expired or gone), as revocation events: how an
     * instance catches up on notifications it may have missed.
     */
    async findEnded(sessionIds: readonly string[]): Promise<RevocationEvent[]> {
      const now = clock.now();
      const ended: RevocationEvent[] = [];
      for (let start = 0; start < sessionIds.length; start += 1_000) {
        const ids = sessionIds.slice(start, start + 1_000);
        const rows = await db
          .select({ id: sessions.id, revokedAt: sessions.revokedAt, revokedReason: sessions.revokedReason, expiresAt: sessions.expiresAt })
          .from(sessions)
          .where(inArray(sessions.id, ids));
        const found = new Map(rows.map((row) => [row.id, row]));
        for (const id of ids) {
          const row = found.get(id);
          if (!row) ended.push({ sessionId: id, reason: 'REVOKED', revokedAt: now });
          else if (row.revokedAt) ended.push({ sessionId: id, reason: row.revokedReason ?? 'REVOKED', revokedAt: row.revokedAt });
          else if (row.expiresAt <= now) ended.push({ sessionId: id, reason: 'EXPIRED', revokedAt: row.expiresAt });
        }
      }
      return ended;
    },

    /** Revokes every live session of the user, in one statement. */
    async revokeAllSessions(userId: string): Promise<number> {
      return (await revokeWhere(userId, undefined, 'REVOKED')).length;
    },
  };

  /** Revokes the matching live sessions of one user and publishes them, in one transaction. */
  async function revokeWhere(userId: string, condition: SQL | undefined, reason: RevocationReason) {
    const revokedAt = clock.now();
    const revoked = await db.transaction(async (tx) => {
      const rows = await tx
        .update(sessions)
        .set({ revokedAt, revokedReason: reason })
        .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, revokedAt), condition))
        .returning({ id: sessions.id });
      await deps.revocations.publish(tx, rows.map(({ id }) => ({ sessionId: id, reason, revokedAt })));
      return rows;
    });
    for (const { id } of revoked) {
      logger.info({ event: 'session.revoked', sessionId: id, userId, reason }, 'session revoked');
    }
    return revoked;
  }
}
