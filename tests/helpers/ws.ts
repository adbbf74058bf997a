import { createClient, type Client } from 'graphql-ws';
import { decodeJwt } from 'jose';
import WebSocket from 'ws';
import { scrape } from './metrics.js';
import type { MainProcess } from './process.js';
import type { TestServer } from './server.js';

export interface Closed {
  code: number;
  reason: string;
}

export interface SessionRevokedEvent {
  sessionId: string;
  reason: string;
  revokedAt: string;
}

export interface Subscription<T> {
  /** Every `next` payload's data, in order. */
  values: T[];
  /** Errors sent for this operation, if any. */
  errors: unknown[];
  /** Resolves with the first value. */
  first: Promise<T>;
  /** Settles when the server completes the operation, or it errors, or the socket closes. */
  done: Promise<void>;
}

/** A real graphql-ws client (the official `createClient` over `ws`), with what it saw recorded. */
export interface SocketClient {
  client: Client;
  /** Whether `connection_ack` arrived. */
  isAcknowledged(): boolean;
  /** Whether the socket has closed (the client may open another for a later operation). */
  isClosed(): boolean;
  /** Resolves once acknowledged; rejects if the socket closes first. */
  acknowledged: Promise<void>;
  /** Resolves with the close code and reason: the client never retries. */
  closed: Promise<Closed>;
  subscribe<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Subscription<T>;
  dispose(): Promise<void>;
}

export const SESSION_REVOKED = 'subscription { sessionRevoked { sessionId reason revokedAt } }';

export function wsUrl(httpUrl: string): string {
  return httpUrl.replace(/^http/, 'ws');
}

/** Connects at once, with `authorization: Bearer <token>` in `connection_init` when a token is given. */
export function connectSocket(httpUrl: string, token?: string, params: Record<string, unknown> = {}): SocketClient {
  let isAcknowledged = false;
  let isClosed = false;
  let resolveClosed!: (closed: Closed) => void;
  const closed = new Promise<Closed>((resolve) => { resolveClosed = resolve; });
  let acknowledge!: () => void;
  const acknowledged = new Promise<void>((resolve, reject) => {
    acknowledge = resolve;
    void closed.then(({ code, reason }) => reject(new Error(`closed before ack: ${code} ${reason}`)));
  });
  acknowledged.catch(() => {});
  const client = createClient({
    url: wsUrl(httpUrl),
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    shouldRetry: () => false,
    onNonLazyError: () => {},
    connectionParams: token ? { authorization: `Bearer ${token}`, ...params } : params,
    on: {
      connected: () => {
        isAcknowledged = true;
        acknowledge();
      },
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: string | Buffer };
        isClosed = true;
        resolveClosed({ code, reason: String(reason) });
      },
    },
  });
  return {
    client,
    isAcknowledged: () => isAcknowledged,
    isClosed: () => isClosed,
    acknowledged,
    closed,
    subscribe<T>(query: string, variables?: Record<string, unknown>): Subscription<T> {
      const values: T[] = [];
      const errors: unknown[] = [];
      let resolveFirst!: (value: T) => void;
      const first = new Promise<T>((resolve) => { resolveFirst = resolve; });
      const done = new Promise<void>((resolve) => {
        client.subscribe<T>(
          { query, variables },
          {
            next: ({ data }) => {
              values.push(data as T);
              if (values.length === 1) resolveFirst(data as T);
            },
            error: (error) => {
              errors.push(error);
              resolve();
            },
            complete: resolve,
          },
        );
      });
      return { values, errors, first, done };
    },
    dispose: () => Promise.resolve(client.dispose()),
  };
}

/** A server under test: one in this process (`startTestServer`), or one in another (`startMain`). */
export type ServerUnderTest = Pick<TestServer, 'url' | 'subscriptionCount'> | Pick<MainProcess, 'url'>;

/**
 * Resolves once `count` subscriptions of the session run on the server: the protocol acknowledges
 * none, and an event published before a subscription's stream is open would miss it. A server in
 * this process is asked for the session's; one in another process is read through its metrics
 * gauge, which counts every session's, so there the test's must be its only subscriptions.
 */
export async function whenSubscribed(server: ServerUnderTest, sessionId: string, count = 1): Promise<void> {
  const running = 'subscriptionCount' in server
    ? async () => server.subscriptionCount(sessionId)
    : async () => (await scrape(server)).value('session_server_websocket_subscriptions');
  await waitFor(async () => (await running()) >= count, `${count} subscription(s) of session ${sessionId}`);
}

/** The session an access token belongs to. */
export function sessionOf(accessToken: string): string {
  return decodeJwt(accessToken).sid as string;
}

/** Polls until `condition` holds; rejects after `timeoutMs`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Connects with the token (tracked in `sockets` for disposal), waits for the ack, subscribes,
 * and waits for the subscription to be in place.
 */
export async function subscribeOver<T>(server: ServerUnderTest, token: string, query: string, sockets: SocketClient[]): Promise<{ socket: SocketClient; events: Subscription<T> }> {
  const socket = connectSocket(server.url, token);
  sockets.push(socket);
  await socket.acknowledged;
  const sessionId = sessionOf(token);
  const before = 'subscriptionCount' in server ? server.subscriptionCount(sessionId) : 0;
  const events = socket.subscribe<T>(query);
  await whenSubscribed(server, sessionId, before + 1);
  return { socket, events };
}

/** Rejects after `ms`: for racing a promise that must settle soon. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Whether the socket is still open and answers a query over it: the later signal a "nothing
 * happened to this socket" check waits for, since an event or a close sent to it before would
 * have arrived first. (Once closed, the client would answer over a new socket.)
 */
export async function answersOver(socket: SocketClient): Promise<boolean> {
  const query = socket.subscribe<{ __typename: string }>('{ __typename }');
  await within(query.done, 2_000, 'a query over the socket');
  return !socket.isClosed() && query.values.length === 1 && query.values[0]!.__typename === 'Query';
}
