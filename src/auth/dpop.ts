import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Clock } from '../clock.js';
import type { Db } from '../db/client.js';
import { dpopProofs } from '../db/schema.js';
import { checkProof, type ProofTarget } from './dpop-proof.js';

/** Why a request's DPoP proof was refused, as `WWW-Authenticate: DPoP error="invalid_dpop_proof"` tells it. */
export type DpopRefusal = { ok: false; reason: string };

export type Dpop = ReturnType<typeof createDpop>;

export interface DpopDeps {
  db: Db;
  clock: Clock;
  /** How far a proof's `iat` may be from now, either way. */
  windowSeconds: number;
}

/**
 * DPoP for the server's requests: a proof checked against its request and, when a session is
 * bound, its key; and never accepted twice. Seen proofs are kept in the database, so a proof
 * replayed on another instance is refused as on the first; no server nonce is needed for that.
 */
export function createDpop({ db, clock, windowSeconds }: DpopDeps) {
  const recordProof = db
    .insert(dpopProofs)
    .values({ proofHash: sql.placeholder('proofHash'), expiresAt: sql.placeholder('expiresAt') })
    .onConflictDoNothing()
    .returning({ proofHash: dpopProofs.proofHash })
    .prepare('record_dpop_proof');
  return {
    /**
     * The key thumbprint a proof proves possession of, for this request, or why it does not:
     * a bad proof, another key than `boundTo`, or a `jti` already used with that key.
     */
    async prove(proof: string, target: ProofTarget, boundTo?: string): Promise<{ ok: true; jkt: string } | DpopRefusal> {
      const now = clock.now();
      const checked = await checkProof(proof, target, now, windowSeconds);
      if (!checked.ok) return checked;
      if (boundTo !== undefined && checked.jkt !== boundTo) return { ok: false, reason: 'the proof is signed by another key than the session is bound to' };
      // Kept until the proof's iat leaves the window, the last moment it could be accepted.
      const expiresAt = new Date(checked.iat.getTime() + windowSeconds * 1000);
      const proofHash = createHash('sha256').update(`${checked.jkt}.${checked.jti}`).digest('hex');
      const [first] = await recordProof.execute({ proofHash, expiresAt });
      if (!first) return { ok: false, reason: 'the proof was used before (jti)' };
      return { ok: true, jkt: checked.jkt };
    },
  };
}
