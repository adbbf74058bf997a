import { createDeviceSigner, createDpopProver, type DpopProver, type DpopSigner } from './dpop.js';
import { UnauthenticatedError } from './errors.js';
import { createSocketKeeper } from './forced-logout.js';
import { createHttpTransport, type FetchLike } from './http.js';
import * as ops from './operations.js';
import type { Sink } from './session-socket.js';
import { createSessionState, type SignedOutListener } from './session-state.js';
import { createMemoryStorage, type TokenStorage } from './storage.js';
import { createTabSync, IN_PROCESS } from './tab-sync.js';
import { createTokens } from './tokens.js';

export interface SessionClientOptions {
  /** The GraphQL endpoint, e.g. `https://api.example.com/graphql`; in a browser it may be relative to the page (`/graphql`). */
  url: string;
  /**
   * Where the refresh token is kept outside cookie mode.
   * @default in-memory storage (the session ends with the process)
   */
  storage?: TokenStorage;
  /** @default globalThis.fetch */
  fetch?: FetchLike;
  /**
   * The WebSocket class for the forced-logout socket; Node 20 has none built in, pass `ws`'s.
   * @default globalThis.WebSocket
   */
  webSocketImpl?: unknown;
  /**
   * Cookie mode: the server keeps the refresh token in an HttpOnly `__Host-` cookie, out of reach
   * of scripts, and requests are sent with `credentials: 'include'`.
   * @default true in browsers (where `document` exists), false elsewhere
   */
  refreshTokenInCookie?: boolean;
  /**
   * Listen on a graphql-ws socket for the session's end (`sessionRevoked`), and sign out at once.
   * @default true
   */
  forcedLogout?: boolean;
  /**
   * When to refresh ahead of expiry, as a fraction of the access token's life.
   * @default 0.8
   */
  refreshAheadRatio?: number;
  /** @default `url` with `http` replaced by `ws` */
  webSocketUrl?: string;
  /**
   * Device-bound sessions (DPoP): the key that signs a proof for every request, so a sign-in binds
   * its session to it and copies of its tokens are useless elsewhere. `false` sends bearer tokens
   * only; a `DpopSigner` is a key of your own (a platform keystore on React Native).
   * @default a non-extractable P-256 key from WebCrypto, kept in IndexedDB in browsers, elsewhere
   * in `storage` when it has `getDeviceKey`/`setDeviceKey`, else in memory; bearer tokens where
   * WebCrypto is missing
   */
  dpop?: DpopSigner | false;
}

export interface SignedIn {
  user: ops.User;
  session: ops.Session;
  isNewDevice: boolean;
}

export interface SessionClient {
  signUp(credentials: ops.Credentials): Promise<SignedIn>;
  login(credentials: ops.Credentials): Promise<SignedIn>;
  /**
   * For an app that signs users in itself: takes over the session its backend got from
   * `issueSession`, by that session's refresh token, which is spent at once for a pair of the
   * client's own (its refresh token in the cookie, in cookie mode), so nothing that passed
   * through the backend stays usable.
   */
  adopt(refreshToken: string): Promise<SignedIn>;
  /** Ends this session on the server and signs out here (`onSignedOut('LOGOUT')`). */
  logout(): Promise<void>;
  /** Refreshes the access token now (shared with any refresh in flight). */
  refresh(): Promise<void>;
  /** One operation over HTTP with the access token; a 401 is followed by at most one refresh and one retry. */
  request<TData = Record<string, unknown>, TVariables = Record<string, unknown>>(document: ops.TypedDocument<TData, TVariables> | string, variables?: TVariables): Promise<TData>;
  /** One subscription over the client's socket; returns the function that ends it. */
  subscribe<TData = Record<string, unknown>, TVariables = Record<string, unknown>>(document: ops.TypedDocument<TData, TVariables> | string, variables: TVariables | undefined, sink: Sink<TData>): () => void;
  /** Called once per signed-in period, with why it ended; returns the function that removes the listener. */
  onSignedOut(listener: SignedOutListener): () => void;
  sessions(): Promise<ops.Session[]>;
  revokeSession(id: string): Promise<boolean>;
  /** Names one of the user's sessions, this one or another. */
  renameSession(id: string, name: string): Promise<ops.Session>;
  revokeOtherSessions(): Promise<number>;
  revokeAllSessions(): Promise<number>;
  reauthenticate(password: string): Promise<boolean>;
  isSignedIn(): boolean;
  /** Closes the socket, the timers and the tab channel; does not sign out. */
  dispose(): void;
}

const isBrowser = () => typeof (globalThis as { document?: unknown }).document !== 'undefined';

/** A client for the session server: sign-in, tokens kept fresh, and forced logout pushed over WebSocket. */
export function createSessionClient(options: SessionClientOptions): SessionClient {
  const url = resolveUrl(options.url);
  const isCookieMode = options.refreshTokenInCookie ?? isBrowser();
  const fetchImpl = options.fetch ?? (globalThis.fetch.bind(globalThis) as unknown as FetchLike);
  const storage = options.storage ?? createMemoryStorage();
  const prover = proverOf(options.dpop, storage);
  const transport = createHttpTransport(url, fetchImpl, isCookieMode ? 'include' : 'same-origin', prover);
  const state = createSessionState({
    refreshAheadRatio: options.refreshAheadRatio ?? 0.8,
    // A failed refresh ahead of time is retried by the next request; UNAUTHENTICATED has signed out already.
    onRefreshDue: (token) => void tokens.refresh(token).catch(() => {}),
    onSignedIn: () => sockets.listen(),
    onSignedOut: (reason, isFromOtherTab) => {
      tokens.forget();
      sockets.close();
      if (!isFromOtherTab) tabSync.announceSignedOut(reason);
    },
  });
  const tabSync = isCookieMode ? createTabSync(url, { onAdopt: (grant) => state.hold(grant), onSignedOut: (reason) => state.signOut(reason, true) }) : IN_PROCESS;
  const tokens = createTokens({ transport, storage, isCookieMode, state, tabSync });
  const sockets = createSocketKeeper({
    url: options.webSocketUrl ?? url.replace(/^http/, 'ws'),
    webSocketImpl: options.webSocketImpl,
    isForcedLogoutOn: options.forcedLogout !== false,
    tokens,
    state,
    prover,
  });

  async function request<TData, TVariables>(document: ops.TypedDocument<TData, TVariables> | string, variables?: TVariables): Promise<TData> {
    const token = await tokens.accessToken();
    return transport.post<TData, TVariables>(document, variables, token).catch(async (error: unknown) => {
      if (!(error instanceof UnauthenticatedError) || token === undefined) throw error;
      return transport.post<TData, TVariables>(document, variables, await tokens.refresh(token));
    });
  }

  async function signIn(document: typeof ops.LOGIN | typeof ops.SIGN_UP, credentials: ops.Credentials): Promise<SignedIn> {
    const input = isCookieMode ? { ...credentials, refreshTokenInCookie: true } : credentials;
    const data = await transport.post<Record<string, ops.AuthPayload>, { input: typeof input }>(document, { input });
    return take(document === ops.LOGIN ? data.login! : data.signUp!);
  }

  /** Holds a new session's pair, and listens for its end. */
  async function take(payload: ops.AuthPayload): Promise<SignedIn> {
    // Signing in over a live session replaces it here: its socket belongs to the old session.
    const wasSignedIn = state.isSignedIn();
    await tokens.signedIn(payload);
    if (wasSignedIn) {
      sockets.close();
      sockets.listen();
    }
    return { user: payload.user, session: payload.session, isNewDevice: payload.isNewDevice };
  }

  return {
    signUp: (credentials) => signIn(ops.SIGN_UP, credentials),
    login: (credentials) => signIn(ops.LOGIN, credentials),
    adopt: async (refreshToken) => take((await transport.post(ops.ADOPT_SESSION, { refreshToken, refreshTokenInCookie: isCookieMode })).refreshSession),
    async logout() {
      await request(ops.LOGOUT)
        .catch((error: unknown) => {
          // Already over on the server: signing out here is all that is left to do.
          if (!(error instanceof UnauthenticatedError)) throw error;
        })
        .finally(() => state.signOut('LOGOUT'));
    },
    refresh: async () => {
      await tokens.refresh();
    },
    request,
    subscribe: (document, variables, sink) => sockets.subscribe(document, variables as Record<string, unknown> | undefined, sink),
    onSignedOut: (listener) => state.onSignedOut(listener),
    sessions: async () => (await request(ops.MY_SESSIONS)).mySessions,
    async revokeSession(id) {
      const isCurrent = id === state.access()?.sessionId;
      const { revokeSession } = await request(ops.REVOKE_SESSION, { id });
      if (isCurrent) state.signOut('REVOKED');
      return revokeSession;
    },
    renameSession: async (id, name) => (await request(ops.RENAME_SESSION, { id, name })).renameSession,
    revokeOtherSessions: async () => (await request(ops.REVOKE_OTHER_SESSIONS)).revokeOtherSessions,
    async revokeAllSessions() {
      const { revokeAllSessions } = await request(ops.REVOKE_ALL_SESSIONS);
      state.signOut('REVOKED');
      return revokeAllSessions;
    },
    reauthenticate: async (password) => (await request(ops.REAUTHENTICATE, { password })).reauthenticate,
    isSignedIn: () => state.isSignedIn(),
    dispose() {
      state.dispose();
      sockets.close();
      tabSync.close();
    },
  };
}

function proverOf(option: DpopSigner | false | undefined, storage: TokenStorage): DpopProver | undefined {
  if (option === false) return undefined;
  if (option) return createDpopProver(option);
  return globalThis.crypto?.subtle ? createDpopProver(createDeviceSigner(storage)) : undefined;
}

function resolveUrl(url: string): string {
  // React Native has no page to be relative to, and a partial URL class: leave its URLs alone.
  const base = (globalThis as { location?: { href: string } }).location?.href;
  return base ? new URL(url, base).toString() : url;
}
