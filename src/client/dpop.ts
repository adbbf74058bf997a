/**
 * The device's key and the DPoP proofs it signs (RFC 9449): a session signed in with a proof is
 * bound to the key, and its tokens then work only with a fresh proof by it, so a copy of them is
 * useless anywhere else. The private key never leaves the key store.
 */

import { openDatabase, settle, type IdbDatabase, type IndexedDbLike } from './idb.js';

/** A public key as a JWK (`kty`, `crv`, `x`, `y` for P-256). */
export type PublicJwk = { kty?: string; crv?: string; x?: string; y?: string; [member: string]: unknown };

/** WebCrypto's key pair, named from its functions: the client's types hold no DOM or Node names. */
type Subtle = typeof globalThis.crypto.subtle;
type KeyPair = { publicKey: Parameters<Subtle['exportKey']>[1]; privateKey: Parameters<Subtle['sign']>[1] };

/** What signs proofs: the public key, and a signature over bytes (ES256: raw r||s, 64 bytes). */
export interface DpopSigner {
  publicJwk: PublicJwk;
  /** `ES256` unless the signer says otherwise. */
  alg?: string;
  sign(data: Uint8Array<ArrayBuffer>): Promise<Uint8Array>;
}

/** Signs each request's proof; `nonce` when the server asked for one (`use_dpop_nonce`). */
export interface DpopProver {
  proof(method: string, url: string, accessToken?: string, nonce?: string): Promise<string>;
}

const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const DATABASE = 'session-client-dpop';
const STORE = 'keys';
const KEY_ID = 'device';

/**
 * Where there is no IndexedDB (Node): the device's key, a private JWK as JSON, kept between runs
 * so that a bound session outlives a restart (`TokenStorage` may have these). Without them, the
 * key lives in memory.
 */
export interface DeviceKeyStore {
  getDeviceKey?(): string | null | Promise<string | null>;
  setDeviceKey?(privateJwk: string): void | Promise<void>;
}

/**
 * A signer over a WebCrypto key pair whose private key cannot be exported. In a browser the pair
 * is kept in IndexedDB (a `CryptoKey` is stored as is, never as bytes), so every tab of the origin
 * and every later visit use the same key. Elsewhere it lives as long as the process, unless
 * `store` keeps it: then it is made exportable once, to be written there, and read back as a
 * key that cannot be exported.
 */
export async function createDeviceSigner(store?: DeviceKeyStore): Promise<DpopSigner> {
  const subtle = globalThis.crypto.subtle;
  const pair = indexedDbOf()
    ? ((await loadStoredPair()) ?? (await storePair((await subtle.generateKey(ECDSA_P256, false, ['sign', 'verify'])) as KeyPair)))
    : await keptPair(store);
  const { kty, crv, x, y } = await subtle.exportKey('jwk', pair.publicKey);
  return {
    publicJwk: { kty, crv, x, y },
    sign: async (data) => new Uint8Array(await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, pair.privateKey, data)),
  };
}

/** A prover over `signer`, which may still be loading (a key read from IndexedDB). */
export function createDpopProver(signing: DpopSigner | Promise<DpopSigner>): DpopProver {
  const ready = Promise.resolve(signing).then((signer) => ({ signer, header: encode({ typ: 'dpop+jwt', alg: signer.alg ?? 'ES256', jwk: signer.publicJwk }) }));
  return {
    async proof(method, url, accessToken, nonce) {
      const { signer, header } = await ready;
      const claims = {
        jti: randomId(),
        htm: method,
        // Without query and fragment (RFC 9449 §4.2).
        htu: url.split(/[?#]/)[0],
        iat: Math.floor(Date.now() / 1000),
        ...(accessToken ? { ath: base64url(new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', utf8(accessToken)))) } : {}),
        ...(nonce ? { nonce } : {}),
      };
      const input = `${header}.${encode(claims)}`;
      return `${input}.${base64url(await signer.sign(utf8(input)))}`;
    },
  };
}

/** `Authorization` for an access token: `DPoP` when it is bound to a key (`cnf.jkt`), else `Bearer`. */
export function authorizationOf(accessToken: string): string {
  return `${isBoundToken(accessToken) ? 'DPoP' : 'Bearer'} ${accessToken}`;
}

/** Whether an access token is bound to a key (`cnf.jkt`), so it goes as `Authorization: DPoP`. */
export function isBoundToken(accessToken: string): boolean {
  try {
    const payload = JSON.parse(atob(accessToken.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as { cnf?: { jkt?: unknown } };
    return typeof payload.cnf?.jkt === 'string';
  } catch {
    return false;
  }
}

/** The pair of a key store (Node), made and written there on first use; or one in memory only. */
async function keptPair(store: DeviceKeyStore | undefined): Promise<KeyPair> {
  const subtle = globalThis.crypto.subtle;
  if (!store?.getDeviceKey || !store.setDeviceKey) return (await subtle.generateKey(ECDSA_P256, false, ['sign', 'verify'])) as KeyPair;
  let stored = await store.getDeviceKey();
  if (!stored) {
    const made = (await subtle.generateKey(ECDSA_P256, true, ['sign', 'verify'])) as KeyPair;
    stored = JSON.stringify(await subtle.exportKey('jwk', made.privateKey));
    await store.setDeviceKey(stored);
  }
  const { d: _private, key_ops: _ops, ...publicJwk } = JSON.parse(stored) as Record<string, unknown>;
  // The JWK overload, typed here: the client's types name no DOM or Node key types.
  const importJwk = subtle.importKey.bind(subtle) as unknown as (format: 'jwk', jwk: object, algorithm: typeof ECDSA_P256, extractable: boolean, usages: string[]) => Promise<unknown>;
  return {
    privateKey: await importJwk('jwk', JSON.parse(stored) as object, ECDSA_P256, false, ['sign']),
    publicKey: await importJwk('jwk', publicJwk, ECDSA_P256, true, ['verify']),
  } as KeyPair;
}

// ---- IndexedDB, where there is one -------------------------------------------------------------

async function loadStoredPair(): Promise<KeyPair | undefined> {
  const db = await keyDatabase();
  if (!db) return undefined;
  return (await settle(db.transaction(STORE, 'readonly').objectStore(STORE).get(KEY_ID))) as KeyPair | undefined;
}

async function storePair(pair: KeyPair): Promise<KeyPair> {
  const db = await keyDatabase();
  if (!db) return pair;
  // Another tab may have stored one first: `add` keeps that one, and this tab uses it.
  await settle(db.transaction(STORE, 'readwrite').objectStore(STORE).add(pair, KEY_ID)).catch(() => {});
  return (await loadStoredPair()) ?? pair;
}

function indexedDbOf(): IndexedDbLike | undefined {
  return (globalThis as { indexedDB?: IndexedDbLike }).indexedDB;
}

async function keyDatabase(): Promise<IdbDatabase | undefined> {
  const idb = indexedDbOf();
  return idb ? openDatabase(idb, DATABASE, STORE) : undefined;
}

// ---- encoding ----------------------------------------------------------------------------------

function utf8(text: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(text) as Uint8Array<ArrayBuffer>;
}

function encode(value: object): string {
  return base64url(utf8(JSON.stringify(value)));
}

function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomId(): string {
  return base64url(globalThis.crypto.getRandomValues(new Uint8Array(16)));
}
