import { isPastLifetime } from './access-token.js';
import { UnauthenticatedError } from './errors.js';
import type { HttpTransport } from './http.js';
import { REFRESH_SESSION, REFRESH_SESSION_FROM_COOKIE, type AuthPayload } from './operations.js';
import { createRefresher } from './refresh.js';
import type { SessionState } from './session-state.js';
import type { TokenStorage } from './storage.js';
import type { AccessGrant, TabSync } from './tab-sync.js';

export interface TokensOptions {
  transport: HttpTransport;
  storage: TokenStorage;
  isCookieMode: boolean;
  state: SessionState;
  tabSync: TabSync;
}

/** Where the client's tokens come from: sign-in, the refresh token, or another tab. */
export interface Tokens {
  /** The token to send: the held one while it lives, else a refreshed one; undefined when signed out. */
  accessToken(): Promise<string | undefined>;
  /** See `Refresher.refresh`. */
  refresh(stale?: string): Promise<string>;
  /** Takes a sign-in's pair: the refresh token to storage (none in cookie mode), the access token to memory. */
  signedIn(payload: AuthPayload): Promise<void>;
  /** After a sign-out: forget the refresh token, and stop asking for one until the next sign-in. */
  forget(): void;
}

export function createTokens({ transport, storage, isCookieMode, state, tabSync }: TokensOptions): Tokens {
  // Whether a refresh may find a session: a cookie, or a stored token from an earlier run.
  let mayHaveSession = true;

  const exchange = async (): Promise<AccessGrant> => {
    const refreshToken = isCookieMode ? undefined : await storage.getRefreshToken();
    if (!isCookieMode && !refreshToken) throw new UnauthenticatedError('Not signed in: no refresh token.', 0);
    const { refreshSession } = refreshToken
      ? await transport.post(REFRESH_SESSION, { refreshToken })
      : await transport.post(REFRESH_SESSION_FROM_COOKIE, {});
    if (refreshSession.refreshToken) await storage.setRefreshToken(refreshSession.refreshToken);
    return refreshSession;
  };

  const refresher = createRefresher({
    current: () => state.access()?.token,
    exchange,
    tabSync,
    epoch: state.epoch,
    accept: (grant, epoch) => {
      if (epoch !== state.epoch()) return false;
      state.hold(grant);
      return true;
    },
    reject: (error, epoch) => {
      if (epoch !== state.epoch()) return;
      mayHaveSession = false;
      // Without a reason the token was unknown: most often a session long ended and cleaned up.
      state.signOut(error.reason ?? 'EXPIRED');
    },
  });

  return {
    async accessToken() {
      const access = state.access();
      if (access && !isPastLifetime(access, Date.now())) return access.token;
      if (!access && !mayHaveSession) return undefined;
      return refresher.refresh(access?.token).catch((error: unknown) => {
        if (!access && error instanceof UnauthenticatedError) return undefined;
        throw error;
      });
    },
    refresh: (stale) => refresher.refresh(stale),
    async signedIn(payload) {
      if (payload.refreshToken) await storage.setRefreshToken(payload.refreshToken);
      mayHaveSession = true;
      state.hold(payload);
    },
    forget() {
      mayHaveSession = false;
      void storage.clear();
    },
  };
}
