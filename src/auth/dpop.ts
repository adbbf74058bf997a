import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Clock } from '../clock.js';
import type { Db } from '../db/client.js';
import { dpopProofs } from '../db/schema.js';
import { checkProof, type ProofTarget } from './dpop-proof.js';

/** Why a request's DPoP proof was refused, as `WWW-Authenticate: DPoP error="invalid_dpop_proof"` tells it. */
export type DpopRefusal = { ok: false; reason: string };

/** A checked proof's row in the replay cache: it may be used once, until its `iat` leaves the window. */
export interface ProofRecord {
  proofHash: string;
  expiresAt: Date;
}

export type Dpop = ReturnType<typeof createDpop>;

export interface DpopDeps {
  /** Where seen proofs are recorded; the per-request check records them in its own statement, on the same handle. */
  db: Db;
  clock: Clock;
  /** How far a proof's `iat` may be from now, either way. */
  windowSeconds: number;
}

export const REPLAYED_PROOF = 'the proof was used before (jti)';

/**
 * DPoP for the server's requests: a proof checked against its request and, when a session is
 * bound, its key; and never accepted twice. Seen proofs are kept in the database, so a proof
 * replayed on another instance is refused as on the first; no server nonce is needed for that.
 */
export function createDpop({ db, clock, windowSeconds }: DpopDeps) {
  const insertRecord = db
    .insert(dpopProofs)
    .values({ proofHash: sql.placeholder('proofHash'), expiresAt: sql.placeholder('expiresAt') })
    .onConflictDoNothing()
    .returning({ proofHash: dpopProofs.proofHash });
  const recordProof = insertRecord.prepare('record_dpop_proof');

  /**
   * The key thumbprint a proof proves possession of, for this request, or why it does not: a bad
   * proof, or another key than `boundTo`. Whether it was used before is its `record`'s to tell.
   */
  async function check(proof: string, target: ProofTarget, boundTo?: string): Promise<{ ok: true; jkt: string; record: ProofRecord } | DpopRefusal> {
    const checked = await checkProof(proof, target, clock.now(), windowSeconds);
    if (!checked.ok) return checked;
    if (boundTo !== undefined && checked.jkt !== boundTo) return { ok: false, reason: 'the proof is signed by another key than the session is bound to' };
    return {
      ok: true,
      jkt: checked.jkt,
      record: {
        proofHash: createHash('sha256').update(`${checked.jkt}.${checked.jti}`).digest('hex'),
        // Kept until the proof's iat leaves the window, the last moment it could be accepted.
        expiresAt: new Date(checked.iat.getTime() + windowSeconds * 1000),
      },
    };
  }

  return {
    check,

    /**
     * The record of a proof as a `WITH` part (placeholders `proofHash`, `expiresAt`) that returns
     * its row only when the proof had not been seen: the per-request check runs it in the same
     * statement as its session lookup, one round trip.
     */
    recordPart: db.$with('recorded_proof', { proofHash: dpopProofs.proofHash }).as(insertRecord.getSQL()),

    /** A proof checked, and recorded as used: the key it proves, or why not. */
    async prove(proof: string, target: ProofTarget, boundTo?: string): Promise<{ ok: true; jkt: string } | DpopRefusal> {
      const checked = await check(proof, target, boundTo);
      if (!checked.ok) return checked;
      const [first] = await recordProof.execute({ ...checked.record });
      return first ? { ok: true, jkt: checked.jkt } : { ok: false, reason: REPLAYED_PROOF };
    },
  };
}
