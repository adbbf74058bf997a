import { readAccessToken, refreshDelayMs, type AccessToken } from './access-token.js';
import type { RevocationReason } from './operations.js';
import type { AccessGrant } from './tab-sync.js';

export type SignedOutListener = (reason: RevocationReason) => void;

export interface SessionStateOptions {
  /** Fraction of an access token's life after which it is refreshed ahead of expiry. */
  refreshAheadRatio: number;
  /** Called when the token's refresh time comes, with that token. */
  onRefreshDue(token: string): void;
  /** A signed-in period begins: start listening for forced logout. */
  onSignedIn(): void;
  /** A signed-in period ended: stop listening, forget the refresh token, tell other tabs unless one told us. */
  onSignedOut(reason: RevocationReason, isFromOtherTab: boolean): void;
}

/** The access token held in memory and the signed-in period it belongs to. */
export interface SessionState {
  access(): AccessToken | undefined;
  isSignedIn(): boolean;
  /** Counts signed-in periods: work started in one must not sign the client into the next. */
  epoch(): number;
  /** Holds a new access token; starts a signed-in period when none runs. */
  hold(grant: AccessGrant): void;
  /** Ends the signed-in period: listeners hear `reason` once, whatever number of paths report it. */
  signOut(reason: RevocationReason, isFromOtherTab?: boolean): void;
  onSignedOut(listener: SignedOutListener): () => void;
  /** Stops the refresh timer; no listener is called. */
  dispose(): void;
}

export function createSessionState(options: SessionStateOptions): SessionState {
  let access: AccessToken | undefined;
  let epoch = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const listeners = new Set<SignedOutListener>();

  const schedule = (held: AccessToken) => {
    clearTimeout(timer);
    if (held.lifetimeMs === 0) return;
    timer = setTimeout(() => options.onRefreshDue(held.token), refreshDelayMs(held, options.refreshAheadRatio, Date.now()));
    // In Node, a pending refresh must not keep the process alive.
    (timer as { unref?: () => void }).unref?.();
  };

  return {
    access: () => access,
    isSignedIn: () => access !== undefined,
    epoch: () => epoch,
    hold(grant) {
      const isNewPeriod = access === undefined;
      access = readAccessToken(grant.accessToken, Date.now());
      schedule(access);
      if (isNewPeriod) options.onSignedIn();
    },
    signOut(reason, isFromOtherTab = false) {
      if (access === undefined) return;
      access = undefined;
      epoch += 1;
      clearTimeout(timer);
      options.onSignedOut(reason, isFromOtherTab);
      for (const listener of [...listeners]) listener(reason);
    },
    onSignedOut(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    dispose() {
      clearTimeout(timer);
      epoch += 1;
    },
  };
}
