/**
 * The `alg`s a DPoP proof may use: asymmetric ones only (RFC 9449 §4.2), as a shared secret would
 * prove nothing about a device. Accepted by auth/dpop-proof.ts and offered by the challenge of
 * errors.ts, so here, beneath both.
 */
export const DPOP_ALGORITHMS = ['ES256', 'ES384', 'EdDSA', 'Ed25519', 'PS256', 'RS256'] as const;

export type DpopAlgorithm = (typeof DPOP_ALGORITHMS)[number];
