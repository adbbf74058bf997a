import { and, desc, eq, inArray, ne, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { sessions, type PublicSession } from '../db/schema.js';
import { composeStatement, runStatement, type StatementPart } from '../db/statement.js';
import type { SessionEventBus } from '../realtime/session-event-bus.js';
import type { Actor } from './revocations.js';
import type { RequestOrigin } from './security-events.js';
import { createSessionCheck, type SessionCheckDeps } from './session-check.js';
import { createSessionCreation, type SessionCreationDeps } from './session-creation.js';
import { isLive } from './session-lifetime.js';
import { publicColumnsOf, publicSessionColumns, toPublicSession, type Authenticated, type StoredPublicSession } from './session-shapes.js';
import { createTokenRefresh, type TokenRefreshDeps } from './token-refresh.js';

export interface SessionServiceDeps extends SessionCheckDeps, SessionCreationDeps, TokenRefreshDeps {
  /** How long a password check keeps a session in sudo mode. */
  freshAuthSeconds: number;
  /** Told of new and renamed sessions inside their transaction, for the user's devices. */
  sessionEvents: Pick<SessionEventBus, 'partsFor' | 'publishCommitted'>;
}

/**
 * How many sessions a revocation ended, or why none was tried: ending another session than the
 * current one needs the password proven within `freshAuthSeconds` (sudo mode).
 */
export type RevokeResult = { ok: true; count: number } | { ok: false; reason: 'REAUTHENTICATION_REQUIRED' };

export type SessionService = ReturnType<typeof createSessionService>;

/** Everything a session goes through: creation, the checks, refresh, the user's list, and its end. */
export function createSessionService(deps: SessionServiceDeps) {
  const { db, clock, revoker } = deps;

  /** Runs `revoke` when the caller is in sudo mode. */
  async function inSudoMode(caller: Authenticated, revoke: () => Promise<unknown[]>): Promise<RevokeResult> {
    const freshSince = clock.now().getTime() - deps.freshAuthSeconds * 1000;
    if (!caller.freshAuthAt || caller.freshAuthAt.getTime() <= freshSince) return { ok: false, reason: 'REAUTHENTICATION_REQUIRED' };
    return { ok: true, count: (await revoke()).length };
  }

  /** Revokes those of the caller's sessions `where` picks, all of them without it. */
  const endSessions = (caller: Authenticated, where: SQL | undefined, origin: RequestOrigin) =>
    revoker.revoke({ where: and(eq(sessions.userId, caller.user.id), where)!, reason: 'REVOKED', actor: actorOf(caller, origin) });

  return {
    ...createSessionCreation(deps),
    ...createSessionCheck(deps),
    ...createTokenRefresh(deps),

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

    /** Ends one live session of the caller's; another than the current one needs sudo mode. A count of 0: none with that id. */
    async revokeSession(caller: Authenticated, sessionId: string, origin: RequestOrigin): Promise<RevokeResult> {
      const revoke = () => endSessions(caller, eq(sessions.id, sessionId), origin);
      if (sessionId !== caller.sessionId) return inSudoMode(caller, revoke);
      return { ok: true, count: (await revoke()).length };
    },

    /** Ends every live session of the caller but the current one, in one statement. Needs sudo mode. */
    revokeOtherSessions(caller: Authenticated, origin: RequestOrigin): Promise<RevokeResult> {
      return inSudoMode(caller, () => endSessions(caller, ne(sessions.id, caller.sessionId), origin));
    },

    /** Ends every live session of the caller, the current one included, in one statement. Needs sudo mode. */
    revokeAllSessions(caller: Authenticated, origin: RequestOrigin): Promise<RevokeResult> {
      return inSudoMode(caller, () => endSessions(caller, undefined, origin));
    },

    /**
     * Names one of the caller's live sessions, the current one included, recorded as
     * SESSION_RENAMED and told to the user's devices, in one statement; null when the caller has no such session.
     */
    async renameSession(caller: Authenticated, sessionId: string, name: string, origin: RequestOrigin): Promise<PublicSession | null> {
      const now = clock.now();
      const at = sql`${now.toISOString()}::timestamptz`;
      const actorSessionId = sessionId === caller.sessionId ? null : caller.sessionId;
      const parts: StatementPart[] = [
        {
          name: 'renamed',
          query: db.update(sessions)
            .set({ deviceName: name })
            .where(and(eq(sessions.userId, caller.user.id), eq(sessions.id, sessionId), isLive(now, deps.idleTimeoutSeconds)))
            .returning()
            .getSQL(),
        },
        ...deps.sessionEvents.partsFor({ kind: 'renamed', part: 'renamed' }),
        deps.events.partFor('renamed', { type: 'SESSION_RENAMED', at, actorSessionId: sql`${actorSessionId}::uuid`, origin }),
        ...deps.outbox.partsFor('renamed', { types: ['session.renamed'], at, initiatedBy: 'user', actorSessionId: sql`${caller.sessionId}::uuid` }),
      ];
      const [renamed] = await runStatement<StoredPublicSession>(db, composeStatement(parts, publicColumnsOf('renamed'), 'renamed'));
      if (!renamed) return null;
      deps.events.log([{ userId: caller.user.id, type: 'SESSION_RENAMED', sessionId, actorSessionId, deviceName: name, origin }]);
      deps.sessionEvents.publishCommitted({ kind: 'renamed', event: { sessionId, userId: caller.user.id } });
      return toPublicSession(renamed);
    },

    /** Marks the session as having just proven the password. */
    async markFresh(sessionId: string, tx: Db = db): Promise<void> {
      await tx.update(sessions).set({ freshAuthAt: clock.now() }).where(eq(sessions.id, sessionId));
    },
  };
}

function actorOf(caller: Authenticated, origin: RequestOrigin): Actor {
  return { sessionId: caller.sessionId, origin };
}
