import { and, eq, inArray, lte, sql } from 'drizzle-orm';
import type { Clock } from '../clock.js';
import type { Db } from '../db/client.js';
import { sessions, users } from '../db/schema.js';
import type { Logger } from '../logger.js';
import type { SessionEndedEvent } from '../realtime/session-event-bus.js';
import { endOf, sessionEndColumns } from './session-lifetime.js';
import { REPLAYED_PROOF, type Dpop, type DpopRefusal, type ProofRecord } from './dpop.js';
import { publicUserColumns, type AuthCheck, type Authenticated, type TokenPresentation } from './session-shapes.js';
import type { AccessTokens } from './tokens.js';
import { isSameHash } from './tokens.js';

export interface SessionCheckDeps {
  db: Db;
  dpop: Dpop;
  /** DPOP=required: a token that is not DPoP-bound is refused. */
  isDpopRequired: boolean;
  /** Where the per-request check reads; see `Database.sessionCheckDb`. @default db */
  sessionCheckDb?: Db;
  clock: Clock;
  logger: Logger;
  accessTokens: AccessTokens;
  idleTimeoutSeconds: number;
  lastActiveWriteIntervalSeconds: number;
}

/** A bearer token, presented with nothing else. */
const AS_BEARER: TokenPresentation = { scheme: 'bearer', target: { method: 'POST', url: '' } };

/** Whether a session is still live: per request, per WebSocket operation, and for sockets after a gap in notifications. */
export function createSessionCheck({ db, sessionCheckDb = db, clock, logger, accessTokens, dpop, isDpopRequired, idleTimeoutSeconds, lastActiveWriteIntervalSeconds }: SessionCheckDeps) {
  const authColumns = { accessTokenHash: sessions.accessTokenHash, ...sessionEndColumns, freshAuthAt: sessions.freshAuthAt, user: publicUserColumns };
  const loadSessionForAuth = sessionCheckDb
    .select(authColumns)
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(sessions.id, sql.placeholder('sessionId')))
    .prepare('load_session_for_auth');
  // A DPoP-bound request's lookup records its proof in the same statement: no second round trip.
  const loadSessionRecordingProof = sessionCheckDb
    .with(dpop.recordPart)
    .select({ ...authColumns, isProofNew: sql<boolean>`exists (select 1 from ${dpop.recordPart})` })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(sessions.id, sql.placeholder('sessionId')))
    .prepare('load_session_recording_dpop_proof');

  /** Records activity at most once per interval; never awaited by the request it comes from. */
  function touchLastActive(sessionId: string, lastActiveAt: Date, now: Date): void {
    const threshold = new Date(now.getTime() - lastActiveWriteIntervalSeconds * 1000);
    if (lastActiveAt > threshold) return;
    db.update(sessions)
      .set({ lastActiveAt: now })
      // The condition repeats the check in SQL, so concurrent requests and instances write once.
      .where(and(eq(sessions.id, sessionId), lte(sessions.lastActiveAt, threshold)))
      .then(undefined, (error: unknown) => logger.error({ err: error, sessionId }, 'could not record session activity'));
  }

  /**
   * The session row's side of a check; the token's hash is compared when one is given, and a
   * request's DPoP proof, checked already, is recorded as used (and refused if it was before).
   */
  async function checkSession(sessionId: string, userId: string, tokenExpiresAt: Date, boundTo: string | null, tokenHash?: string, proof?: ProofRecord): Promise<AuthCheck> {
    const [found] = proof ? await loadSessionRecordingProof.execute({ sessionId, ...proof }) : await loadSessionForAuth.execute({ sessionId });
    // A signed token of another user's session is one whose own session row is gone.
    const row = found?.user.id === userId ? found : undefined;
    if (row && 'isProofNew' in row && !row.isProofNew) return { ok: false, reason: 'dpop', dpopError: REPLAYED_PROOF };
    const now = clock.now();
    const ended = endOf(row, now, idleTimeoutSeconds);
    if (!row || ended) return { ok: false, reason: !row ? 'invalid' : row.revokedAt ? 'revoked' : 'expired', ended };
    if (tokenHash !== undefined && !isSameHash(row.accessTokenHash, tokenHash)) return { ok: false, reason: 'rotated' };
    touchLastActive(sessionId, row.lastActiveAt, now);
    return { ok: true, auth: { user: row.user, sessionId, freshAuthAt: row.freshAuthAt, tokenExpiresAt, boundTo } };
  }

  /**
   * Whether the token came as its binding asks: a DPoP-bound one (`cnf.jkt`) only with the DPoP
   * scheme and a proof of its key for this request, whose record the session lookup then makes;
   * any other only as a bearer token, and not at all under DPOP=required.
   */
  async function checkBinding(accessToken: string, jkt: string | null, { scheme, proof, target }: TokenPresentation): Promise<{ ok: true; record?: ProofRecord } | DpopRefusal> {
    const refuse = (reason: string) => ({ ok: false, reason }) as const;
    if (jkt === null) {
      if (scheme === 'dpop') return refuse('the access token is not DPoP-bound: send it as Authorization: Bearer');
      return isDpopRequired ? refuse('this server accepts DPoP-bound sessions only (DPOP=required)') : { ok: true };
    }
    if (scheme !== 'dpop') return refuse('a DPoP-bound access token is accepted only as Authorization: DPoP, with a DPoP proof');
    if (proof === undefined) return refuse('no DPoP proof');
    return dpop.check(proof, { ...target, accessToken }, jkt);
  }

  return {
    /**
     * The per-request check: a valid signature; the token presented as its binding asks (a DPoP
     * proof's signature and claims checked); then the session row (one statement, user included,
     * the proof recorded), the token's hash compared in constant time, and the session neither
     * revoked, expired nor idle.
     */
    async authenticate(accessToken: string, presented: TokenPresentation = AS_BEARER): Promise<AuthCheck> {
      const verified = await accessTokens.verify(accessToken);
      if (!verified.ok) return verified;
      const { sessionId, userId, tokenHash, expiresAt, jkt } = verified.claims;
      const binding = await checkBinding(accessToken, jkt, presented);
      if (!binding.ok) return { ok: false, reason: 'dpop', dpopError: binding.reason };
      return checkSession(sessionId, userId, expiresAt, jkt, tokenHash, binding.record);
    },

    /**
     * A WebSocket's check on each operation: its session still live. The socket belongs to the
     * session, not to the newest token, so a refresh since it opened does not end it; the access
     * token it opened with still bounds its life (`tokenExpiresAt`).
     */
    recheck(auth: Authenticated): Promise<AuthCheck> {
      return checkSession(auth.sessionId, auth.user.id, auth.tokenExpiresAt, auth.boundTo);
    },

    /**
     * Which of these sessions have ended (revoked, expired or gone), as session-ended events: how an
     * instance catches up on notifications it may have missed.
     */
    async findEnded(sessionIds: readonly string[]): Promise<SessionEndedEvent[]> {
      const now = clock.now();
      const ended: SessionEndedEvent[] = [];
      for (let start = 0; start < sessionIds.length; start += 1_000) {
        const ids = sessionIds.slice(start, start + 1_000);
        const rows = await db.select({ id: sessions.id, ...sessionEndColumns }).from(sessions).where(inArray(sessions.id, ids));
        const found = new Map(rows.map((row) => [row.id, row]));
        for (const id of ids) {
          const end = endOf(found.get(id), now, idleTimeoutSeconds);
          if (end) ended.push({ sessionId: id, reason: end.reason, revokedAt: end.at });
        }
      }
      return ended;
    },
  };
}
