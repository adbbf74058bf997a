/**
 * Many real graphql-ws clients (the official `createClient` over `ws`), each authenticated as one
 * session, recording when the revocation event and the close arrive.
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { BenchSession } from './sessions.js';

const SESSION_REVOKED = 'subscription { sessionRevoked { sessionId reason revokedAt } }';
/** Sockets opened at once: enough to keep set-up short, few enough that their session checks do not queue up behind each other. */
const OPEN_BATCH = 100;
const ACK_TIMEOUT_MS = 10_000;

export interface SessionRevokedEvent {
  sessionId: string;
  reason: string;
  revokedAt: string;
}

/** Something that happened, and when, in `performance.now()` time. */
export interface Arrival<T> {
  value: T;
  at: number;
}

export interface Subscriber {
  sessionId: string;
  /** Resolves on `connection_ack`; rejects if the socket closes first. */
  acknowledged: Promise<void>;
  /** The first `sessionRevoked` payload; rejects if the operation errors or ends without one. */
  event: Promise<Arrival<SessionRevokedEvent>>;
  /** The close code: the client never retries, so this is final. */
  closed: Promise<Arrival<number>>;
  /** Starts the `sessionRevoked` subscription. */
  subscribe(): void;
  dispose(): void;
}

export function openSubscriber(httpUrl: string, session: BenchSession): Subscriber {
  const closed = deferred<Arrival<number>>();
  const acknowledged = deferred<void>();
  const event = deferred<Arrival<SessionRevokedEvent>>();
  const client: Client = createClient({
    url: httpUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    shouldRetry: () => false,
    onNonLazyError: () => {},
    connectionParams: { authorization: `Bearer ${session.accessToken}` },
    on: {
      connected: () => acknowledged.resolve(),
      closed: (closeEvent) => {
        const { code } = closeEvent as { code: number };
        closed.resolve({ value: code, at: performance.now() });
        acknowledged.reject(new Error(`socket closed with ${code} before connection_ack`));
      },
    },
  });
  const subscribe = () => {
    client.subscribe<{ sessionRevoked: SessionRevokedEvent }>(
      { query: SESSION_REVOKED },
      {
        // Timed first, before anything else runs in this callback.
        next: ({ data }) => event.resolve({ value: data!.sessionRevoked, at: performance.now() }),
        error: (error) => event.reject(new Error(`subscription failed: ${describe(error)}`)),
        complete: () => event.reject(new Error('subscription completed without an event')),
      },
    );
  };
  return {
    sessionId: session.sessionId,
    acknowledged: acknowledged.promise,
    event: event.promise,
    closed: closed.promise,
    subscribe,
    dispose: () => void client.dispose(),
  };
}

/**
 * Opens one acknowledged socket per session, `OPEN_BATCH` at a time, and subscribes each when
 * asked. On failure every socket opened so far is closed.
 */
export async function openSubscribers(httpUrl: string, sessions: BenchSession[], { subscribe }: { subscribe: boolean }): Promise<Subscriber[]> {
  const subscribers: Subscriber[] = [];
  try {
    for (let start = 0; start < sessions.length; start += OPEN_BATCH) {
      const batch = sessions.slice(start, start + OPEN_BATCH).map((session) => openSubscriber(httpUrl, session));
      subscribers.push(...batch);
      await within(Promise.all(batch.map((subscriber) => subscriber.acknowledged)), ACK_TIMEOUT_MS, 'connection_ack');
      if (subscribe) for (const subscriber of batch) subscriber.subscribe();
    }
    return subscribers;
  } catch (error) {
    disposeAll(subscribers);
    throw error;
  }
}

export function disposeAll(subscribers: Subscriber[]): void {
  for (const subscriber of subscribers) subscriber.dispose();
}

/** Rejects after `ms`: for racing a promise that must settle soon. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: Error): void;
}

/** A promise settled from outside; its rejection is never "unhandled", since not every one is awaited. */
function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej; });
  promise.catch(() => {});
  return { promise, resolve, reject };
}

function describe(error: unknown): string {
  if (Array.isArray(error)) return JSON.stringify(error);
  if (error && typeof error === 'object' && 'code' in error) return `socket closed with ${String((error as { code: unknown }).code)}`;
  return String(error);
}
