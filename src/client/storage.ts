import type { DeviceKeyStore } from './dpop.js';

/**
 * Where the client keeps the refresh token between runs (not used in cookie mode, where the
 * token lives in an HttpOnly cookie). The access token is only ever held in memory.
 * In React Native, back it with the Keychain/Keystore (e.g. expo-secure-store); never with
 * `localStorage` in a browser, where any script of the origin could read it.
 */
export interface TokenStorage extends DeviceKeyStore {
  getRefreshToken(): string | null | Promise<string | null>;
  setRefreshToken(refreshToken: string): void | Promise<void>;
  /** Forgets the refresh token (on sign-out); the device key stays. */
  clear(): void | Promise<void>;
}

/** Keeps the refresh token in this process's memory only: gone when it exits. */
export function createMemoryStorage(): TokenStorage {
  let refreshToken: string | null = null;
  return {
    getRefreshToken: () => refreshToken,
    setRefreshToken: (token) => {
      refreshToken = token;
    },
    clear: () => {
      refreshToken = null;
    },
  };
}
