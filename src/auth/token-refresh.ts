import { and, eq } from 'drizzle-orm';
import type { Clock } from '../clock.js';
import type { Db } from '../db/client.js';
import { rotatedRefreshTokens, sessions, users, type RevocationReason } from '../db/schema.js';
import type { Outbox } from '../events/outbox.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { Revoker } from './revocations.js';
import type { RequestOrigin, SecurityEvents } from './security-events.js';
import { endOf, isLive, sessionEndColumns } from './session-lifetime.js';
import { publicSessionColumns, publicUserColumns, type IssuedSession } from './session-shapes.js';
import { generateSecretToken, hashToken, type AccessTokens } from './tokens.js';

/**
 * A refresh's answer: the new pair, or why not: with the session's end when the token was one of
 * an ended session; `unproven` when the session is bound to a device key (DPoP) that the request
 * did not prove it holds.
 */
export type RefreshResult = { ok: true; issued: IssuedSession } | { ok: false; ended?: RevocationReason; unproven?: boolean };

export interface TokenRefreshDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  accessTokens: AccessTokens;
  revoker: Revoker;
  idleTimeoutSeconds: number;
  /** Counts a rotated-away refresh token presented again, as `rotated`. */
  authFailures: Metrics['authFailures'];
  /** Where each refresh is written for apps' backends (`session.refreshed`). */
  outbox: Outbox;
  /** Where a bound session's refresh token without its key's proof is recorded. */
  events: SecurityEvents;
}

/**
 * Refresh-token rotation with reuse detection (RFC 9700 §4.14): every rotated-away token is
 * remembered, and presenting one again ends its whole session, since either the client or a
 * thief holds a copy that should no longer exist.
 */
export function createTokenRefresh({ db, clock, logger, accessTokens, revoker, idleTimeoutSeconds, authFailures, outbox, events }: TokenRefreshDeps) {
  /**
   * Rotates in one conditional UPDATE: of concurrent calls with one token, at most one matches. A
   * session bound to a device key rotates only for a request that proved it holds that key
   * (`jkt`); otherwise nothing changes, the attempt is recorded, and the key's holder goes on.
   */
  async function rotate(oldHash: string, now: Date, origin: RequestOrigin, jkt: string | null): Promise<IssuedSession | 'unproven' | null> {
    const [current] = await db
      .select({ id: sessions.id, userId: sessions.userId, expiresAt: sessions.expiresAt, dpopJkt: sessions.dpopJkt })
      .from(sessions)
      // A SHA-256 digest is looked up, not compared by the caller: timing of the index lookup reveals nothing useful.
      .where(and(eq(sessions.refreshTokenHash, oldHash), isLive(now, idleTimeoutSeconds)));
    if (!current) return null;
    if (isUnproven(current.dpopJkt, jkt)) {
      await recordUnproven(current.id, current.userId, origin);
      return 'unproven';
    }
    const access = await accessTokens.sign(current.userId, current.id, current.expiresAt, current.dpopJkt);
    const refreshToken = generateSecretToken();
    // Everything the answer holds is read in the rotating transaction: should any of it fail, the
    // rotation rolls back and the client's retry with the same token is not taken for reuse.
    const rotated = await db.transaction(async (tx) => {
      const [session] = await tx
        .update(sessions)
        .set({ accessTokenHash: access.tokenHash, refreshTokenHash: hashToken(refreshToken), lastActiveAt: now })
        .where(and(eq(sessions.id, current.id), eq(sessions.refreshTokenHash, oldHash), isLive(now, idleTimeoutSeconds)))
        .returning(publicSessionColumns);
      if (!session) return null;
      await tx.insert(rotatedRefreshTokens).values({ tokenHash: oldHash, sessionId: session.id, rotatedAt: now });
      await outbox.record(tx, [{ type: 'session.refreshed', userId: session.userId, sessionId: session.id, at: now, initiatedBy: 'user', actorSessionId: session.id }]);
      const [user] = await tx.select(publicUserColumns).from(users).where(eq(users.id, session.userId));
      return { session, user: user! };
    });
    if (!rotated) return null;
    logger.info({ event: 'session.refreshed', sessionId: rotated.session.id, userId: current.userId, requestId: origin.requestId }, 'session refreshed');
    return { ...rotated, accessToken: access.token, accessTokenExpiresAt: access.expiresAt, refreshToken, isNewDevice: false };
  }

  /** A bound session's token without its key's proof: refused and recorded, and nothing else, as the key's holder goes on. */
  const isUnproven = (boundTo: string | null, jkt: string | null) => boundTo !== null && boundTo !== jkt;
  async function recordUnproven(sessionId: string, userId: string, origin: RequestOrigin): Promise<void> {
    logger.warn({ event: 'refresh_token.without_proof', sessionId, userId, ipAddress: origin.ipAddress, requestId: origin.requestId }, "a device-bound session's refresh token came without its key's proof");
    await events.record(db, [{ userId, type: 'BOUND_TOKEN_WITHOUT_PROOF', sessionId, origin }]);
  }

  /**
   * When the token was rotated away before, ends its session; says how that session ended (by
   * this reuse, or earlier), or undefined when the token was never rotated. A bound session's old
   * token without its key's proof is a copy that proves nothing of the device: refused, not ended.
   */
  async function revokeOnReuse(oldHash: string, origin: RequestOrigin, jkt: string | null): Promise<RevocationReason | 'unproven' | undefined> {
    const [reused] = await db
      .select({ sessionId: sessions.id, userId: sessions.userId, dpopJkt: sessions.dpopJkt, ...sessionEndColumns })
      .from(rotatedRefreshTokens)
      .innerJoin(sessions, eq(sessions.id, rotatedRefreshTokens.sessionId))
      .where(eq(rotatedRefreshTokens.tokenHash, oldHash));
    if (!reused) return undefined;
    if (isUnproven(reused.dpopJkt, jkt) && !endOf(reused, clock.now(), idleTimeoutSeconds)) {
      await recordUnproven(reused.sessionId, reused.userId, origin);
      return 'unproven';
    }
    authFailures.inc({ reason: 'rotated' });
    logger.warn({ event: 'refresh_token.reused', sessionId: reused.sessionId, userId: reused.userId, ipAddress: origin.ipAddress, requestId: origin.requestId }, 'rotated-away refresh token presented');
    const revoked = await revoker.revoke({
      where: and(eq(sessions.userId, reused.userId), eq(sessions.id, reused.sessionId))!,
      reason: 'REFRESH_TOKEN_REUSE',
      actor: { sessionId: reused.sessionId, origin },
    });
    return revoked.length > 0 ? 'REFRESH_TOKEN_REUSE' : (endOf(reused, clock.now(), idleTimeoutSeconds)?.reason ?? 'REFRESH_TOKEN_REUSE');
  }

  /** How the session whose current refresh token this is ended, if it has. */
  async function endOfCurrent(hash: string): Promise<RevocationReason | undefined> {
    const [session] = await db.select(sessionEndColumns).from(sessions).where(eq(sessions.refreshTokenHash, hash));
    return session && endOf(session, clock.now(), idleTimeoutSeconds)?.reason;
  }

  return {
    /**
     * A new token pair of the same session, or a failure: an unknown token, an ended session
     * (saying how it ended), or a reuse, which ends the session (REFRESH_TOKEN_REUSE).
     */
    async refreshSession(refreshToken: string, origin: RequestOrigin, jkt: string | null = null): Promise<RefreshResult> {
      const oldHash = hashToken(refreshToken);
      const issued = await rotate(oldHash, clock.now(), origin, jkt);
      if (issued === 'unproven') return { ok: false, unproven: true };
      if (issued) return { ok: true, issued };
      const reused = await revokeOnReuse(oldHash, origin, jkt);
      if (reused === 'unproven') return { ok: false, unproven: true };
      return { ok: false, ended: reused ?? (await endOfCurrent(oldHash)) };
    },
  };
}
