import type { DpopProver } from './dpop.js';
import { UnauthenticatedError } from './errors.js';
import { SESSION_REVOKED } from './operations.js';
import { createSessionSocket, type SessionSocket, type Sink } from './session-socket.js';
import type { SessionState } from './session-state.js';
import type { Tokens } from './tokens.js';

export interface SocketKeeperOptions {
  url: string;
  webSocketImpl: unknown;
  /** Whether to listen for `sessionRevoked` while signed in. */
  isForcedLogoutOn: boolean;
  tokens: Tokens;
  state: SessionState;
  prover?: DpopProver;
}

/** The client's one socket: opened on demand, listening for the session's end, closed on sign-out. */
export interface SocketKeeper {
  subscribe<T>(query: string, variables: Record<string, unknown> | undefined, sink: Sink<T>): () => void;
  /** Subscribes to `sessionRevoked`, which signs out with its reason. */
  listen(): void;
  close(): void;
}

export function createSocketKeeper({ url, webSocketImpl, isForcedLogoutOn, tokens, state, prover }: SocketKeeperOptions): SocketKeeper {
  let socket: SessionSocket | undefined;
  const ensure = () =>
    (socket ??= createSessionSocket({
      url,
      webSocketImpl,
      accessToken: async (stale) => {
        const token = stale !== undefined ? await tokens.refresh(stale) : await tokens.accessToken();
        if (token === undefined) throw new UnauthenticatedError('Not signed in.', 0);
        return token;
      },
      onSessionEnded: (reason) => state.signOut(reason),
      prover,
    }));
  return {
    subscribe: (query, variables, sink) => ensure().subscribe(query, variables, sink),
    listen() {
      if (!isForcedLogoutOn) return;
      ensure().subscribe(SESSION_REVOKED, undefined, { next: ({ sessionRevoked }) => state.signOut(sessionRevoked.reason) });
    },
    close() {
      socket?.dispose();
      socket = undefined;
    },
  };
}
