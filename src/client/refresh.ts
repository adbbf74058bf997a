import { UnauthenticatedError } from './errors.js';
import type { AccessGrant, TabSync } from './tab-sync.js';

export interface RefresherOptions {
  /** The access token held now, if any. */
  current(): string | undefined;
  /** Calls `refreshSession` and keeps the new refresh token; runs under the tabs' lock. */
  exchange(): Promise<AccessGrant>;
  tabSync: TabSync;
  /** A new grant arrived (from this tab or adopted from another). Returns false when it came too late to use. */
  accept(grant: AccessGrant, startedInEpoch: number): boolean;
  /** The refresh was refused: the session is over. */
  reject(error: UnauthenticatedError, startedInEpoch: number): void;
  /** Counts signed-in periods, so a refresh that outlives one is not taken into the next. */
  epoch(): number;
}

export interface Refresher {
  /**
   * A fresh access token. When `stale` is given (the token a request was refused with) and the
   * client already holds another one, that one is returned at once; otherwise every caller
   * shares one `refreshSession`, in this process and, in browsers, across the origin's tabs.
   */
  refresh(stale?: string): Promise<string>;
}

export function createRefresher(options: RefresherOptions): Refresher {
  let inFlight: Promise<string> | undefined;
  const run = async (): Promise<string> => {
    const epoch = options.epoch();
    const grant = await options.tabSync.coordinate(options.exchange).catch((error: unknown) => {
      if (error instanceof UnauthenticatedError) options.reject(error, epoch);
      throw error;
    });
    if (!options.accept(grant, epoch)) throw new UnauthenticatedError('Signed out while the session was being refreshed.', 0);
    return grant.accessToken;
  };
  return {
    refresh(stale) {
      const current = options.current();
      if (stale !== undefined && current !== undefined && current !== stale) return Promise.resolve(current);
      inFlight ??= run().finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    },
  };
}
