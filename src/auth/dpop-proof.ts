/**
 * DPoP proofs (RFC 9449): a JWT a device signs with its own key for each request, carrying the
 * public key in its header. A session bound to a key's thumbprint is usable only with proofs
 * that key signed, so a copied token alone is refused.
 */
import { constants, createHash, createPublicKey, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, decodeProtectedHeader, type JWK } from 'jose';
import QuickLRU from 'quick-lru';
import { DPOP_ALGORITHMS, type DpopAlgorithm } from '../dpop-algorithms.js';

/** A proof is a few hundred bytes; anything much larger is refused before it is parsed. */
const MAX_PROOF_LENGTH = 4096;
const MAX_JTI_LENGTH = 256;

/** What a proof must match: the request it came with, and the access token it accompanies, if any. */
export interface ProofTarget {
  method: string;
  /** The request's URL as the client saw it (scheme and host included); query and fragment are ignored. */
  url: string;
  accessToken?: string;
}

export type ProofCheck =
  | { ok: true; jkt: string; jti: string; iat: Date }
  | { ok: false; reason: string };

/**
 * Checks a proof's form, signature and claims against the request, at `now`, with `iat` allowed
 * `windowSeconds` either side (clock skew). Whether its `jti` was seen before is the caller's
 * (`DpopReplays`). Never throws.
 */
export async function checkProof(proof: string, target: ProofTarget, now: Date, windowSeconds: number): Promise<ProofCheck> {
  if (proof.length > MAX_PROOF_LENGTH) return { ok: false, reason: 'proof too large' };
  const [encodedHeader = '', encodedPayload = '', signature = '', ...rest] = proof.split('.');
  if (rest.length > 0) return { ok: false, reason: 'malformed proof' };
  const key = await keyOf(encodedHeader);
  if (!key.ok) return key;
  // node:crypto, synchronously, on a key imported once: a quarter of the CPU of a JWT library's
  // asynchronous WebCrypto path, on every request of a bound session.
  if (!verify(key.hash, Buffer.from(`${encodedHeader}.${encodedPayload}`), { ...key.params, key: key.key }, Buffer.from(signature, 'base64url'))) {
    return { ok: false, reason: 'bad signature or key' };
  }
  let payload: Record<string, unknown>;
  try {
    payload = JSON.parse(Buffer.from(encodedPayload, 'base64url').toString()) as Record<string, unknown>;
  } catch {
    return { ok: false, reason: 'malformed proof' };
  }
  if (typeof payload !== 'object' || payload === null) return { ok: false, reason: 'malformed proof' };
  const { jti, htm, htu, iat, ath } = payload;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) return { ok: false, reason: 'jti missing' };
  if (htm !== target.method) return { ok: false, reason: 'htm does not match the request' };
  // A client's htu is most often the very URL of the request: then no parsing is needed.
  if (typeof htu !== 'string' || (htu !== target.url && normalizeUrl(htu) !== normalizeUrl(target.url))) return { ok: false, reason: 'htu does not match the request' };
  if (typeof iat !== 'number' || Math.abs(iat - now.getTime() / 1000) > windowSeconds) return { ok: false, reason: 'iat outside the window' };
  if (target.accessToken !== undefined && ath !== accessTokenHash(target.accessToken)) return { ok: false, reason: 'ath does not match the access token' };
  return { ok: true, jkt: key.jkt, jti, iat: new Date(iat * 1000) };
}

type ProofKey = { ok: true; key: KeyObject; hash: string | null; params: VerifyParams; jkt: string } | { ok: false; reason: string };
type VerifyParams = { dsaEncoding?: 'ieee-p1363'; padding?: number; saltLength?: number };

/** How node:crypto verifies each allowed `alg` (RFC 7518, RFC 8037). */
const VERIFY_OF_ALG: Record<DpopAlgorithm, { hash: string | null; params: VerifyParams; keyType: string }> = {
  ES256: { hash: 'sha256', params: { dsaEncoding: 'ieee-p1363' }, keyType: 'ec' },
  ES384: { hash: 'sha384', params: { dsaEncoding: 'ieee-p1363' }, keyType: 'ec' },
  EdDSA: { hash: null, params: {}, keyType: 'ed25519' },
  Ed25519: { hash: null, params: {}, keyType: 'ed25519' },
  PS256: { hash: 'sha256', params: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, keyType: 'rsa' },
  RS256: { hash: 'sha256', params: { padding: constants.RSA_PKCS1_PADDING }, keyType: 'rsa' },
};

// A device sends the same protected header (its key) with every proof: the key is imported and
// its thumbprint computed once, not per request. Only checked headers are kept, by their text.
const keys = new QuickLRU<string, Promise<ProofKey>>({ maxSize: 10_000 });

function keyOf(encodedHeader: string): Promise<ProofKey> {
  let key = keys.get(encodedHeader);
  if (!key) {
    key = importHeaderKey(encodedHeader);
    keys.set(encodedHeader, key);
  }
  return key;
}

async function importHeaderKey(encodedHeader: string): Promise<ProofKey> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(`${encodedHeader}..`);
  } catch {
    return { ok: false, reason: 'malformed proof' };
  }
  if (header.typ !== 'dpop+jwt') return { ok: false, reason: 'typ must be dpop+jwt' };
  const alg = header.alg ?? '';
  if (!isDpopAlgorithm(alg)) return { ok: false, reason: `alg ${alg} is not allowed` };
  const jwk = header.jwk as JWK | undefined;
  if (!jwk || typeof jwk !== 'object') return { ok: false, reason: 'no jwk in the header' };
  if (PRIVATE_MEMBERS.some((member) => member in jwk)) return { ok: false, reason: 'the jwk holds a private key' };
  const verifier = VERIFY_OF_ALG[alg];
  try {
    const key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
    const curveOk = alg !== 'ES256' || key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
    const curve384Ok = alg !== 'ES384' || key.asymmetricKeyDetails?.namedCurve === 'secp384r1';
    if (key.asymmetricKeyType !== verifier.keyType || !curveOk || !curve384Ok) return { ok: false, reason: `the jwk is not a key for ${alg}` };
    return { ok: true, key, hash: verifier.hash, params: verifier.params, jkt: await calculateJwkThumbprint(jwk, 'sha256') };
  } catch {
    return { ok: false, reason: 'bad signature or key' };
  }
}

/** `ath`: base64url of the SHA-256 of the access token (RFC 9449 §4.2). */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken).digest('base64url');
}

/** JWK members of private keys (RFC 7518 §6): a proof's key must be public. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/**
 * Scheme and host lower-cased, default port dropped, no query or fragment (RFC 9449 §4.3); a
 * WebSocket's `ws:`/`wss:` as the `http:`/`https:` of its upgrade request. Null when not a URL.
 */
function normalizeUrl(value: string): string | null {
  if (!URL.canParse(value)) return null;
  const url = new URL(value);
  const scheme = ({ 'ws:': 'http:', 'wss:': 'https:' } as Record<string, string>)[url.protocol] ?? url.protocol;
  const port = url.port === '' || (scheme === 'http:' && url.port === '80') || (scheme === 'https:' && url.port === '443') ? '' : `:${url.port}`;
  return `${scheme}//${url.hostname}${port}${url.pathname}`;
}

function isDpopAlgorithm(alg: string): alg is DpopAlgorithm {
  return (DPOP_ALGORITHMS as readonly string[]).includes(alg);
}
