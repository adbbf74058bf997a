import { CloseCode, createClient, type Client } from 'graphql-ws/client';
import { authorizationOf, isBoundToken, type DpopProver } from './dpop.js';
import { UnauthenticatedError } from './errors.js';
import { operationNameOf, type RevocationReason } from './operations.js';

/**
 * The server's close codes this client acts on (see the server README, "Real-time forced logout").
 * Copies of src/realtime/close-codes.ts, which the client cannot import; a test keeps them equal.
 */
export const SocketCloseCode = {
  /** `unauthorized`, or `session ended: <RevocationReason>`. */
  Unauthorized: CloseCode.Unauthorized,
  /** `token expired`: the socket's access token passed its `exp`; reconnect with a fresh one. */
  TokenExpired: 4419,
} as const;

export interface SessionSocketOptions {
  url: string;
  /** @default globalThis.WebSocket */
  webSocketImpl?: unknown;
  /** The token to connect with; given the token the last socket was refused for, a refreshed one. */
  accessToken(stale?: string): Promise<string>;
  /** The server said the socket's session ended (4401 `session ended: X`, or refused twice in a row). */
  onSessionEnded(reason: RevocationReason): void;
  /** Proves the device's key in `connection_init`, for a token bound to it. */
  prover?: DpopProver;
}

export interface Sink<T> {
  next(data: T): void;
  /** A GraphQL error for this operation, or a close the client does not recover from. */
  error?(error: unknown): void;
  complete?(): void;
}

export interface SessionSocket {
  subscribe<T>(query: string, variables: Record<string, unknown> | undefined, sink: Sink<T>): () => void;
  dispose(): void;
}

interface CloseLike {
  code: number;
  reason: string;
}

/** The reason of a 4401 for a session that ended: `session ended: REVOKED`. */
export const SESSION_ENDED_REASON = /^session ended: ([A-Z_]+)$/;

const isClose = (value: unknown): value is CloseLike => typeof value === 'object' && value !== null && 'code' in value && 'reason' in value;

/** graphql-ws's own backoff waits seconds from the first retry; a 4419 should reconnect at once. */
const backoff = (retries: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.min(30_000, 250 * 2 ** retries) * (0.5 + Math.random() / 2)));

/**
 * One graphql-ws socket per client. graphql-ws retries non-fatal closes (4419, 1001, 1006) by
 * itself, calling `connectionParams` again; 4401 is fatal to it, so subscriptions refused with
 * `unauthorized` are sent again here, once, after a refresh.
 */
export function createSessionSocket(options: SessionSocketOptions): SessionSocket {
  let socketToken: string | undefined;
  let stale: string | undefined;
  let refusedInARow = 0;
  let isDisposed = false;
  // Why the last connection attempt had no token to send, when that was the reason it failed.
  let refusal: unknown;

  const onClosed = (event: unknown) => {
    if (!isClose(event) || isDisposed) return;
    if (event.code === SocketCloseCode.TokenExpired) stale = socketToken;
    if (event.code !== SocketCloseCode.Unauthorized) return;
    const ended = SESSION_ENDED_REASON.exec(String(event.reason))?.[1];
    if (ended) return options.onSessionEnded(ended as RevocationReason);
    refusedInARow += 1;
    // A refresh that worked and a socket still refused: the session is gone, say so rather than loop.
    if (refusedInARow > 1) return options.onSessionEnded('EXPIRED');
    stale = socketToken;
  };

  const client: Client = createClient({
    url: options.url,
    webSocketImpl: options.webSocketImpl,
    lazy: true,
    retryAttempts: Number.POSITIVE_INFINITY,
    retryWait: backoff,
    // Every close and failed attempt is retried (graphql-ws stops at 4401 and a few others first),
    // except when there is no session to connect with.
    shouldRetry: () => !(refusal instanceof UnauthenticatedError),
    connectionParams: async () => {
      const token = await options.accessToken(stale).catch((error: unknown) => {
        refusal = error;
        throw error;
      });
      refusal = undefined;
      stale = undefined;
      socketToken = token;
      if (!options.prover || !isBoundToken(token)) return { authorization: authorizationOf(token) };
      return { authorization: authorizationOf(token), dpop: await options.prover.proof('GET', options.url, token) };
    },
    on: {
      connected: () => {
        refusedInARow = 0;
      },
      closed: onClosed,
    },
  });

  const subscribe = <T>(query: string, variables: Record<string, unknown> | undefined, sink: Sink<T>, attempt = 0): (() => void) => {
    let unsubscribe = client.subscribe<T>(
      { query, variables, operationName: operationNameOf(query) },
      {
        next: ({ data }) => {
          if (data) sink.next(data as T);
        },
        error: (error) => {
          if (isDisposed) return;
          // Signed out, with no session to refresh: retrying could never connect.
          if (refusal instanceof UnauthenticatedError) return sink.error?.(refusal);
          // A close graphql-ws gives up on (4401 unauthorized, or 4500 when a refresh for the connection failed): try again.
          if (isClose(error) && (error.code !== SocketCloseCode.Unauthorized || refusedInARow === 1)) {
            void backoff(attempt).then(() => {
              if (!isDisposed) unsubscribe = subscribe(query, variables, sink, attempt + 1);
            });
            return;
          }
          sink.error?.(error);
        },
        complete: () => sink.complete?.(),
      },
    );
    return () => unsubscribe();
  };

  return {
    subscribe: (query, variables, sink) => subscribe(query, variables, sink),
    dispose: () => {
      isDisposed = true;
      // graphql-ws's dispose awaits the connection attempt, and rejects when that attempt failed or
      // was closed: then there is no socket left to close, which is what disposing asks for.
      Promise.resolve(client.dispose()).catch(() => {});
    },
  };
}
