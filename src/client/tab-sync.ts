import { openGenerationStore, type GenerationStore } from './generation-store.js';
import type { IndexedDbLike } from './idb.js';
import type { RevocationReason } from './operations.js';

/** A new access token, as one tab hands it to the others. The refresh token is never broadcast. */
export interface AccessGrant {
  accessToken: string;
  accessTokenExpiresAt: string;
}

type Message =
  | ({ type: 'refreshed'; generation: number } & AccessGrant)
  | { type: 'signed-out'; reason: RevocationReason };

export interface TabSyncListeners {
  /** Another tab refreshed: use its token, which replaced ours on the server. */
  onAdopt(grant: AccessGrant): void;
  onSignedOut(reason: RevocationReason): void;
}

/** Coordinates one origin's tabs; in-process only where the browser APIs are missing. */
export interface TabSync {
  /** Runs `refresh` under a lock shared by the origin's tabs, unless another tab refreshed meanwhile: then adopts its grant. */
  coordinate(refresh: () => Promise<AccessGrant>): Promise<AccessGrant>;
  announceSignedOut(reason: RevocationReason): void;
  close(): void;
}

interface BrowserApis {
  locks: { request<T>(name: string, callback: () => Promise<T>): Promise<T> };
  channel: { postMessage(message: Message): void; close(): void; onmessage: ((event: { data: Message }) => void) | null };
  generations: GenerationStore;
}

/** How long a tab waits for the broadcast of a generation another tab announced, before refreshing itself. */
const ADOPT_TIMEOUT_MS = 5_000;

/** No other tabs to tell (Node, React Native, or a browser without Web Locks). */
export const IN_PROCESS: TabSync = { coordinate: (refresh) => refresh(), announceSignedOut: () => {}, close: () => {} };

/**
 * Cross-tab single flight. A lock grant and a broadcast are not ordered, so a generation counter
 * (generation-store.ts) tells a tab that got the lock whether another tab refreshed since this
 * one asked: then it waits for that generation's broadcast and adopts it instead of refreshing.
 * The lock alone already prevents reuse detection (the cookie jar is shared, so a second refresh
 * presents the newest cookie); the generation saves the redundant rotation.
 */
export function createTabSync(key: string, listeners: TabSyncListeners): TabSync {
  const apis = browserApis(key);
  if (!apis) return IN_PROCESS;
  let seen = 0;
  const ready = apis.generations.read().then((stored) => {
    seen = Math.max(seen, stored);
  });
  let latest: AccessGrant | undefined;
  const waiters = new Set<() => void>();

  apis.channel.onmessage = ({ data }) => {
    if (data.type === 'signed-out') return listeners.onSignedOut(data.reason);
    if (data.type !== 'refreshed' || data.generation <= seen) return;
    seen = data.generation;
    latest = { accessToken: data.accessToken, accessTokenExpiresAt: data.accessTokenExpiresAt };
    listeners.onAdopt(latest);
    for (const wake of waiters) wake();
  };

  /** The grant of `generation` once broadcast, or undefined if it does not come in time. */
  const waitForGeneration = (generation: number) =>
    new Promise<AccessGrant | undefined>((resolve) => {
      const wake = () => {
        if (seen >= generation) settle(latest);
      };
      const timer = setTimeout(() => settle(undefined), ADOPT_TIMEOUT_MS);
      const settle = (grant: AccessGrant | undefined) => {
        clearTimeout(timer);
        waiters.delete(wake);
        resolve(grant);
      };
      waiters.add(wake);
      wake();
    });

  return {
    async coordinate(refresh) {
      await ready;
      const seenWhenAsked = seen;
      return apis.locks.request(`session-client:refresh:${key}`, async () => {
        const stored = await apis.generations.read();
        if (stored > seenWhenAsked) {
          const adopted = await waitForGeneration(stored);
          if (adopted) return adopted;
        }
        const grant = await refresh();
        seen = Math.max(stored, seen) + 1;
        latest = grant;
        await apis.generations.write(seen);
        apis.channel.postMessage({ type: 'refreshed', generation: seen, ...grant });
        return grant;
      });
    },
    announceSignedOut: (reason) => apis.channel.postMessage({ type: 'signed-out', reason }),
    close: () => apis.channel.close(),
  };
}

function browserApis(key: string): BrowserApis | undefined {
  const scope = globalThis as unknown as {
    navigator?: { locks?: BrowserApis['locks'] };
    BroadcastChannel?: new (name: string) => BrowserApis['channel'];
    indexedDB?: IndexedDbLike;
  };
  const locks = scope.navigator?.locks;
  if (!locks || !scope.BroadcastChannel || !scope.indexedDB) return undefined;
  return { locks, channel: new scope.BroadcastChannel(`session-client:${key}`), generations: openGenerationStore(scope.indexedDB, key) };
}
