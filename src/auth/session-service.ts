import { randomUUID } from 'node:crypto';
import { and, desc, eq, inArray, lte, ne, sql } from 'drizzle-orm';
import type { Clock } from '../clock.js';
import type { Db } from '../db/client.js';
import { sessions, users } from '../db/schema.js';
import type { DeviceDetails } from '../devices/device-info.js';
import type { Geolocator, Location } from '../devices/geolocation.js';
import { isKnownDevice } from '../devices/new-device.js';
import { ReauthenticationRequiredError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { RevocationBus, RevocationEvent } from '../realtime/revocation-bus.js';
import type { Actor, Revoker } from './revocations.js';
import type { RequestOrigin, SecurityEvents } from './security-events.js';
import { endOf, isLive, sessionEndColumns, sessionExpiresAt } from './session-lifetime.js';
import { publicSessionColumns, publicUserColumns, type AuthCheck, type Authenticated, type IssuedSession, type PublicSession, type PublicUser } from './session-shapes.js';
import { createTokenRefresh } from './token-refresh.js';
import { generateRefreshToken, hashToken, isSameHash, type AccessTokens } from './tokens.js';

export interface SessionServiceDeps {
  db: Db;
  /** Where the per-request check reads; see `Database.sessionCheckDb`. @default db */
  sessionCheckDb?: Db;
  clock: Clock;
  logger: Logger;
  accessTokens: AccessTokens;
  revoker: Revoker;
  events: SecurityEvents;
  sessionMaxAgeSeconds: number;
  idleTimeoutSeconds: number;
  lastActiveWriteIntervalSeconds: number;
  freshAuthSeconds: number;
  maxSessionsPerUser: number;
  geolocator: Geolocator;
  /** Told of every new session inside its transaction, for the user's other devices. */
  sessionEvents: Pick<RevocationBus, 'publishCreated'>;
  /** Counts a rotated-away refresh token presented again (see `createTokenRefresh`). */
  authFailures: Metrics['authFailures'];
}

/** How a session is created: sign-up's first session, or a login. */
export interface NewSession {
  user: PublicUser;
  device: DeviceDetails;
  origin: RequestOrigin;
  event: 'SIGNED_UP' | 'LOGGED_IN';
}

export type SessionService = ReturnType<typeof createSessionService>;

export function createSessionService(deps: SessionServiceDeps) {
  const { db, clock, logger, accessTokens, revoker, events } = deps;

  const loadSessionForAuth = (deps.sessionCheckDb ?? db)
    .select({
      accessTokenHash: sessions.accessTokenHash,
      ...sessionEndColumns,
      freshAuthAt: sessions.freshAuthAt,
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

  /** The session row's side of a check; the token's hash is compared when one is given. */
  async function checkSession(sessionId: string, userId: string, tokenExpiresAt: Date, tokenHash?: string): Promise<AuthCheck> {
    const [found] = await loadSessionForAuth.execute({ sessionId });
    // A signed token of another user's session is one whose own session row is gone.
    const row = found?.user.id === userId ? found : undefined;
    const now = clock.now();
    const ended = endOf(row, now, deps.idleTimeoutSeconds);
    if (!row || ended) return { ok: false, reason: !row ? 'invalid' : row.revokedAt ? 'revoked' : 'expired', ended };
    if (tokenHash !== undefined && !isSameHash(row.accessTokenHash, tokenHash)) return { ok: false, reason: 'rotated' };
    touchLastActive(sessionId, row.lastActiveAt, now);
    return { ok: true, auth: { user: row.user, sessionId, freshAuthAt: row.freshAuthAt, tokenExpiresAt } };
  }

  /** Sudo mode: ending another session needs the password proven within `freshAuthSeconds`. */
  function requireFreshAuth(caller: Authenticated): void {
    const freshSince = clock.now().getTime() - deps.freshAuthSeconds * 1000;
    if (!caller.freshAuthAt || caller.freshAuthAt.getTime() <= freshSince) throw new ReauthenticationRequiredError();
  }

  return {
    ...createTokenRefresh(deps),

    /**
     * Creates a session with its first token pair and its security event, and evicts the user's
     * least recently active sessions beyond `maxSessionsPerUser`. `tx` lets sign-up create the
     * account in the same transaction.
     */
    async createSession({ user, device, origin, event }: NewSession, tx?: Db): Promise<IssuedSession> {
      const now = clock.now();
      const id = randomUUID();
      const expiresAt = sessionExpiresAt(now, deps.sessionMaxAgeSeconds);
      const access = await accessTokens.sign(user.id, id, expiresAt);
      const refreshToken = generateRefreshToken();
      const location = deps.geolocator.locate(origin.ipAddress);
      const create = async (tx: Db) => {
        const isNewDevice = !(await isKnownDevice(tx, user.id, device, location?.countryCode ?? null));
        const [session] = await tx
          .insert(sessions)
          .values({
            id, userId: user.id, accessTokenHash: access.tokenHash, refreshTokenHash: hashToken(refreshToken),
            ...device, ipAddress: origin.ipAddress, ...locationColumns(location), createdAt: now, lastActiveAt: now, expiresAt, freshAuthAt: now,
          })
          .returning(publicSessionColumns);
        await events.record(tx, [{ userId: user.id, type: event, sessionId: id, deviceName: device.deviceName, origin, isNewDevice }]);
        await deps.sessionEvents.publishCreated(tx, { sessionId: id, userId: user.id, isNewDevice });
        await evictBeyondCap(tx, user.id, id, now);
        return { session: session!, isNewDevice };
      };
      const { session, isNewDevice } = tx ? await create(tx) : await db.transaction(create);
      logger.info({ event: 'session.created', sessionId: id, userId: user.id, deviceName: device.deviceName, ipAddress: origin.ipAddress, isNewDevice, requestId: origin.requestId }, 'session created');
      return { user, session, accessToken: access.token, accessTokenExpiresAt: access.expiresAt, refreshToken, isNewDevice };
    },

    /**
     * The per-request check: a valid signature, then the session row (one query, user included),
     * the token's hash compared in constant time, and the session neither revoked, expired nor idle.
     */
    async authenticate(accessToken: string): Promise<AuthCheck> {
      const verified = await accessTokens.verify(accessToken);
      if (!verified.ok) return verified;
      const { sessionId, userId, tokenHash, expiresAt } = verified.claims;
      return checkSession(sessionId, userId, expiresAt, tokenHash);
    },

    /**
     * A WebSocket's check on each operation: its session still live. The socket belongs to the
     * session, not to the newest token, so a refresh since it opened does not end it; the access
     * token it opened with still bounds its life (`tokenExpiresAt`).
     */
    recheck(auth: Authenticated): Promise<AuthCheck> {
      return checkSession(auth.sessionId, auth.user.id, auth.tokenExpiresAt);
    },

    /** The user's live sessions: the current one first, then the most recently active. */
    listSessions(userId: string, currentSessionId: string): Promise<PublicSession[]> {
      return db
        .select(publicSessionColumns)
        .from(sessions)
        .where(and(eq(sessions.userId, userId), isLive(clock.now(), deps.idleTimeoutSeconds)))
        .orderBy(desc(sql`${sessions.id} = ${currentSessionId}`), desc(sessions.lastActiveAt), desc(sessions.createdAt));
    },

    /** These sessions of the user, ended or not; the user scopes the query. */
    sessionsOf(userId: string, sessionIds: readonly string[]): Promise<PublicSession[]> {
      return db.select(publicSessionColumns).from(sessions).where(and(eq(sessions.userId, userId), inArray(sessions.id, [...sessionIds])));
    },

    /** Ends the caller's own current session. */
    async logout(caller: Authenticated, origin: RequestOrigin): Promise<boolean> {
      const revoked = await revoker.revoke({ where: and(eq(sessions.userId, caller.user.id), eq(sessions.id, caller.sessionId))!, reason: 'LOGOUT', actor: actorOf(caller, origin) });
      return revoked.length === 1;
    },

    /** Ends one live session of the caller's; another than the current one needs sudo mode. False when there is none with that id. */
    async revokeSession(caller: Authenticated, sessionId: string, origin: RequestOrigin): Promise<boolean> {
      if (sessionId !== caller.sessionId) requireFreshAuth(caller);
      const revoked = await revoker.revoke({ where: and(eq(sessions.userId, caller.user.id), eq(sessions.id, sessionId))!, reason: 'REVOKED', actor: actorOf(caller, origin) });
      return revoked.length === 1;
    },

    /** Ends every live session of the caller but the current one, in one statement. Needs sudo mode. */
    async revokeOtherSessions(caller: Authenticated, origin: RequestOrigin): Promise<number> {
      requireFreshAuth(caller);
      const where = and(eq(sessions.userId, caller.user.id), ne(sessions.id, caller.sessionId))!;
      return (await revoker.revoke({ where, reason: 'REVOKED', actor: actorOf(caller, origin) })).length;
    },

    /** Ends every live session of the caller, the current one included, in one statement. Needs sudo mode. */
    async revokeAllSessions(caller: Authenticated, origin: RequestOrigin): Promise<number> {
      requireFreshAuth(caller);
      return (await revoker.revoke({ where: eq(sessions.userId, caller.user.id), reason: 'REVOKED', actor: actorOf(caller, origin) })).length;
    },

    /** Marks the session as having just proven the password. */
    async markFresh(sessionId: string, tx: Db = db): Promise<void> {
      await tx.update(sessions).set({ freshAuthAt: clock.now() }).where(eq(sessions.id, sessionId));
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
          .select({ id: sessions.id, ...sessionEndColumns })
          .from(sessions)
          .where(inArray(sessions.id, ids));
        const found = new Map(rows.map((row) => [row.id, row]));
        for (const id of ids) {
          const end = endOf(found.get(id), now, deps.idleTimeoutSeconds);
          if (end) ended.push({ sessionId: id, reason: end.reason, revokedAt: end.at });
        }
      }
      return ended;
    },
  };

  /** Revokes, in the login's transaction, the least recently active sessions beyond the cap. */
  async function evictBeyondCap(tx: Db, userId: string, newSessionId: string, now: Date): Promise<void> {
    const keep = deps.maxSessionsPerUser - 1;
    const evicted = sql`${sessions.id} IN (
      SELECT ${sessions.id} FROM ${sessions}
      WHERE ${and(eq(sessions.userId, userId), ne(sessions.id, newSessionId), isLive(now, deps.idleTimeoutSeconds))}
      ORDER BY ${sessions.lastActiveAt} DESC, ${sessions.createdAt} DESC
      OFFSET ${keep})`;
    await revoker.revoke({ where: and(eq(sessions.userId, userId), evicted)!, reason: 'SESSION_LIMIT' }, tx);
  }
}

function locationColumns(location: Location | null) {
  return { locationCity: location?.city ?? null, locationRegion: location?.region ?? null, locationCountryCode: location?.countryCode ?? null };
}

function actorOf(caller: Authenticated, origin: RequestOrigin): Actor {
  return { sessionId: caller.sessionId, origin };
}
