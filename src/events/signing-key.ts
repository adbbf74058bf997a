import { createECDH, createPrivateKey, createPublicKey, hkdfSync, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { StartupError } from '../config.js';
import { sendJson, type Handler } from '../http/respond.js';

/** The server's key for the tokens it sends (Security Event Tokens, Logout Tokens), and its public half as JWKS publishes it. */
export interface EventSigningKey {
  privateKey: KeyObject;
  /** With `kid`, `alg` and `use`, as served at `/.well-known/jwks.json`. */
  publicJwk: JWK;
}

export const EVENT_SIGNING_ALGORITHM = 'ES256';
/** The order of P-256: a private scalar is below it. */
const P256_ORDER = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');

/**
 * EVENT_SIGNING_KEY (a P-256 private key in PEM) when set; else a key derived from the auth secret
 * with HKDF, so every instance sharing AUTH_SECRET (or the generated one in the data directory)
 * signs with the same key and no second secret has to be kept. A new auth secret means a new key.
 */
export async function loadEventSigningKey(pem: string | undefined, authSecret: string): Promise<EventSigningKey> {
  const privateKey = pem ? parsePem(pem) : derivedKey(authSecret);
  const { kty, crv, x, y } = createPublicKey(privateKey).export({ format: 'jwk' }) as JWK;
  const publicJwk: JWK = { kty, crv, x, y };
  return { privateKey, publicJwk: { ...publicJwk, kid: await calculateJwkThumbprint(publicJwk), alg: EVENT_SIGNING_ALGORITHM, use: 'sig' } };
}

function parsePem(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new StartupError('EVENT_SIGNING_KEY must be a private key in PEM (-----BEGIN PRIVATE KEY-----).');
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new StartupError('EVENT_SIGNING_KEY must be a P-256 (prime256v1) key, for ES256: openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256');
  }
  return key;
}

function derivedKey(authSecret: string): KeyObject {
  for (let round = 0; ; round += 1) {
    const d = Buffer.from(hkdfSync('sha256', authSecret, '', `session-server event signing key ${round}`, 32));
    const scalar = BigInt(`0x${d.toString('hex')}`);
    // Out of range about once in 2^32 keys: the next round's bytes are used instead.
    if (scalar === 0n || scalar >= P256_ORDER) continue;
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(d);
    const point = ecdh.getPublicKey();
    return createPrivateKey({
      format: 'jwk',
      key: { kty: 'EC', crv: 'P-256', d: d.toString('base64url'), x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') },
    });
  }
}

/** `GET /.well-known/jwks.json`: the public key receivers verify the server's tokens with. */
export function serveJwks({ publicJwk }: EventSigningKey): Handler {
  const jwks = { keys: [publicJwk] };
  return (_request, response) => {
    response.setHeader('Cache-Control', 'public, max-age=300');
    sendJson(response, 200, jwks);
  };
}
