import { createHash, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';

/** What a proof may be made to say, right or wrong, for the tests of what the server refuses. */
export interface ProofClaims {
  method?: string;
  url: string;
  accessToken?: string;
  /** Seconds since the epoch; now by default. */
  iat?: number;
  jti?: string;
  typ?: string;
  /** Another key to name in the header than the one that signs. */
  headerJwk?: JWK;
}

/** A device's key pair, as a client holds it, and the DPoP proofs it signs (RFC 9449). */
export async function createDeviceKey(alg: 'ES256' | 'EdDSA' = 'ES256') {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(publicKey);
  return {
    jwk,
    privateJwk: await exportJWK(privateKey),
    proof({ method = 'POST', url, accessToken, iat, jti = randomUUID(), typ = 'dpop+jwt', headerJwk = jwk }: ProofClaims): Promise<string> {
      const ath = accessToken ? { ath: createHash('sha256').update(accessToken).digest('base64url') } : {};
      return new SignJWT({ htm: method, htu: url, jti, ...ath })
        .setProtectedHeader({ alg, typ, jwk: headerJwk })
        .setIssuedAt(iat ?? Math.floor(Date.now() / 1000))
        .sign(privateKey);
    },
  };
}

export type DeviceKey = Awaited<ReturnType<typeof createDeviceKey>>;

/** The headers of a request with a DPoP-bound access token and a fresh proof of `key` for it. */
export async function dpopHeaders(key: DeviceKey, url: string, accessToken: string): Promise<Record<string, string>> {
  return { authorization: `DPoP ${accessToken}`, dpop: await key.proof({ url, accessToken }) };
}
