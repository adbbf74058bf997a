import type { IncomingMessage, Server } from 'node:http';
import type { ExecutionArgs, GraphQLError, GraphQLSchema } from 'graphql';
import { CloseCode, handleProtocols, makeServer, type Server as GraphQLWsServer } from 'graphql-ws';
import { WebSocket, WebSocketServer } from 'ws';
import type { Config } from '../config.js';
import { reportSocketErrors } from '../error-reporting.js';
import { checkOperation, type OperationChecks } from '../graphql-limits.js';
import { isAllowedOrigin } from '../origins.js';
import type { RevocationReason } from '../db/schema.js';
import { SubscriptionLimitReachedError, UnauthenticatedError } from '../errors.js';
import type { RequestUrlResolver } from '../http/request-url.js';
import type { Logger } from '../logger.js';
import {
  GOING_AWAY_CLOSE_CODE, GOING_AWAY_CLOSE_REASON, sessionEndedCloseReason, TOKEN_EXPIRED_CLOSE_CODE, TOKEN_EXPIRED_CLOSE_REASON,
  UNAUTHORIZED_CLOSE_CODE, UNAUTHORIZED_CLOSE_REASON,
} from './close-codes.js';
import type { LiveConnection, LiveConnections } from './live-connections.js';

/** The session a socket's token belongs to, as far as the socket server reads it. */
export interface SocketSession {
  sessionId: string;
  user: { id: string };
  /** The access token's expiry, which bounds the socket's life. */
  tokenExpiresAt: Date;
}

/** A session check's answer: no token, a refused one (with how its session ended, when it has), or the session. */
export type SocketAuth<Session extends SocketSession> =
  | { status: 'anonymous' }
  | { status: 'rejected'; reason: string; ended?: { reason: RevocationReason; at: Date } }
  /** A trusted backend's key: it opens no socket, as it never acts as a user. */
  | { status: 'service' }
  | ({ status: 'authenticated' } & Session);

/** What the socket server needs of the session checks and of GraphQL's context (the context builder is one). */
export interface SocketAuthenticator<Session extends SocketSession> {
  /**
   * Checks `connection_init`'s `Authorization` value, with its DPoP proof for `target`; a token is
   * required, so none at all counts as missing.
   */
  authenticate(authorization: string | undefined, options: { isRequired: boolean; proof?: string; target: { method: string; url: string } }): Promise<SocketAuth<Session>>;
  /** Checks the socket's session again, for an operation on it. */
  recheck(session: Session): Promise<SocketAuth<Session>>;
  /** The context an operation on this socket runs with. */
  socket(request: IncomingMessage, auth: SocketAuth<Session> & { status: 'authenticated' }, connection: LiveConnection): unknown;
}

export interface WebSocketServerDeps<Session extends SocketSession> {
  httpServer: Server;
  schema: GraphQLSchema;
  checks: OperationChecks;
  config: Pick<Config, 'wsConnectionInitTimeoutMs' | 'wsMaxMessageBytes' | 'wsMaxSubscriptions' | 'corsOrigins' | 'nodeEnv'>;
  contexts: SocketAuthenticator<Session>;
  connections: LiveConnections;
  logger: Logger;
  /** The URL the upgrade's client addressed, which a DPoP proof in `connection_init` names. */
  requestUrl: RequestUrlResolver;
}

/** What graphql-ws's hooks get as `ctx.extra`: the socket, and its state once `connection_init` is accepted. */
type Extra<Auth = unknown> = { socket: WebSocket; request: IncomingMessage; connection?: LiveConnection; auth?: Auth };

/** How often sockets are pinged; one that has not answered the previous ping is dropped. */
const KEEP_ALIVE_MS = 12_000;

/**
 * GraphQL over WebSocket (graphql-transport-ws) on the HTTP server's `/graphql`. The token is
 * checked in `connection_init`, and the session again on every `subscribe`: the socket belongs to
 * the session, and outlives the session's token refreshes. It is closed with 4419 at the expiry
 * of the access token it was opened with, and with 4401 when its session ends (see close-codes.ts).
 * @returns a function that closes every socket with 1001 (going away) and stops accepting.
 */
export function attachWebSocketServer<Session extends SocketSession>(deps: WebSocketServerDeps<Session>): () => Promise<void> {
  const { config, contexts, connections, logger } = deps;
  /** What one socket carries between graphql-ws's hooks once `connection_init` has been accepted. */
  type SocketState = {
    connection: LiveConnection;
    /** The latest check, made by the `subscribe` message being handled. */
    auth: SocketAuth<Session> & { status: 'authenticated' };
  };
  const wss = new WebSocketServer({
    server: deps.httpServer,
    path: '/graphql',
    maxPayload: config.wsMaxMessageBytes,
    handleProtocols,
    // Browsers let any page open a WebSocket to any host; the upgrade's Origin is the only guard.
    verifyClient: ({ req }, accept) => (isAllowedOrigin(req, config.corsOrigins) ? accept(true) : accept(false, 403, 'Origin not allowed')),
  });
  const graphqlWs = makeServer<Record<string, unknown>, Extra<SocketState['auth']>>(
    {
      schema: deps.schema,
      connectionInitWaitTimeout: config.wsConnectionInitTimeoutMs,

      async onConnect(ctx) {
        const dpop = ctx.connectionParams?.dpop;
        const target = { method: 'GET', url: deps.requestUrl(ctx.extra.request) };
        const auth = await contexts.authenticate(readAuthorization(ctx.connectionParams), { isRequired: true, proof: typeof dpop === 'string' ? dpop : undefined, target });
        const socket = ctx.extra.socket;
        if (auth.status !== 'authenticated') {
          logger.info({ event: 'websocket.refused', reason: auth.status === 'rejected' ? auth.reason : auth.status === 'service' ? 'service key' : 'missing' }, 'websocket refused');
          // Our own close rather than graphql-ws's 4403 for `false`, so the client can tell a session
          // that ended while it was away, or a token to refresh, from a token that was never good.
          const { code, reason } = refusalOf(auth);
          socket.close(code, reason);
          return false;
        }
        // The socket may have closed, the session been revoked or the token expired, while the check ran.
        if (socket.readyState !== WebSocket.OPEN) return false;
        const connection = connections.add({ sessionId: auth.sessionId, userId: auth.user.id, tokenExpiresAt: auth.tokenExpiresAt }, socket);
        if (!connection) return false;
        Object.assign(ctx.extra, { connection, auth } satisfies SocketState);
        return true;
      },

      async onSubscribe(ctx, _id, payload): Promise<ExecutionArgs | readonly GraphQLError[]> {
        const { connection, auth: previous } = ctx.extra as SocketState;
        // graphql-ws has already entered this operation in `subscriptions`.
        if (Object.keys(ctx.subscriptions).length > config.wsMaxSubscriptions) {
          return [new SubscriptionLimitReachedError(config.wsMaxSubscriptions)];
        }
        if (connection.closeIfExpired() || connection.revokedBy) return [new UnauthenticatedError()];
        const auth = await contexts.recheck(previous);
        if (auth.status !== 'authenticated') {
          // Ended, and the bus has not said so yet: the socket's `sessionRevoked` subscribers are told first, as they would be by it.
          // Without a token to check, a failure is always the session's end (SessionService.recheck).
          if (auth.status === 'rejected' && auth.ended) {
            await connections.revoke({ sessionId: connection.sessionId, userId: connection.userId, reason: auth.ended.reason, revokedAt: auth.ended.at });
          } else {
            ctx.extra.socket.close(UNAUTHORIZED_CLOSE_CODE, UNAUTHORIZED_CLOSE_REASON);
          }
          return [new UnauthenticatedError()];
        }
        ctx.extra.auth = auth;
        // Our own parse and validation: graphql-ws's would throw on a syntax error and end the socket.
        const document = checkOperation(deps.schema, payload, deps.checks);
        if (!('kind' in document)) return document;
        return { schema: deps.schema, document, operationName: payload.operationName, variableValues: payload.variables };
      },

      onNext: (_ctx, _id, _payload, _args, result) => reportSocketErrors(result, logger, config.nodeEnv),

      context: (ctx) => {
        const { connection, auth } = ctx.extra as SocketState;
        return contexts.socket(ctx.extra.request, auth, connection);
      },

      onClose(ctx) {
        if (ctx.extra.connection) connections.remove(ctx.extra.connection);
      },
    },
  );
  // ws re-emits the HTTP server's own errors here, where unhandled they would crash the process
  // with a stack trace (a port in use at start-up); server.ts handles and logs them.
  wss.on('error', () => {});
  wss.on('connection', (socket, request) => serve(graphqlWs, socket, request, logger));
  const keepAlive = keepSocketsAlive(wss);
  return async () => {
    clearInterval(keepAlive);
    for (const socket of wss.clients) socket.close(GOING_AWAY_CLOSE_CODE, GOING_AWAY_CLOSE_REASON);
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  };
}

/** graphql-ws's protocol on one `ws` socket: the thin adapter its `use/ws` is, with our logger. */
function serve(graphqlWs: GraphQLWsServer<Extra>, socket: WebSocket, request: IncomingMessage, logger: Logger): void {
  // ws has already closed the socket with the fitting code (1009 for a message over the limit).
  socket.once('error', (error) => logger.info({ err: error.message }, 'websocket protocol error'));
  const extra: Extra = { socket, request };
  const closed = graphqlWs.opened(
    {
      protocol: socket.protocol,
      send: (data) =>
        new Promise<void>((resolve, reject) => {
          // Every message passes here, pushed events and results alike: none is written past the token's exp.
          if (socket.readyState !== WebSocket.OPEN || extra.connection?.closeIfExpired()) return resolve();
          socket.send(data, (error) => (error ? reject(error) : resolve()));
        }),
      close: (code, reason) => socket.close(code, reason),
      onMessage: (handle) =>
        socket.on('message', async (data) => {
          try {
            await handle(String(data));
          } catch (error) {
            logger.error({ err: error }, 'unexpected error handling a websocket message');
            socket.close(CloseCode.InternalServerError, 'Internal server error');
          }
        }),
    },
    extra,
  );
  socket.once('close', (code, reason) => void closed(code, String(reason)));
}

/** One timer for all sockets, so an idle connection costs no timer of its own. */
function keepSocketsAlive(wss: WebSocketServer): NodeJS.Timeout {
  const answered = new WeakSet<WebSocket>();
  wss.on('connection', (socket) => {
    answered.add(socket);
    socket.on('pong', () => answered.add(socket));
  });
  const timer = setInterval(() => {
    for (const socket of wss.clients) {
      if (!answered.delete(socket)) socket.terminate();
      else socket.ping();
    }
  }, KEEP_ALIVE_MS);
  timer.unref();
  return timer;
}

/** How a `connection_init` whose token failed the check is answered. */
function refusalOf(auth: SocketAuth<SocketSession>): { code: number; reason: string } {
  if (auth.status === 'rejected' && auth.ended) return { code: UNAUTHORIZED_CLOSE_CODE, reason: sessionEndedCloseReason(auth.ended.reason) };
  // A token past its `exp` of a session that may be alive: the client refreshes and comes back.
  if (auth.status === 'rejected' && auth.reason === 'expired') return { code: TOKEN_EXPIRED_CLOSE_CODE, reason: TOKEN_EXPIRED_CLOSE_REASON };
  return { code: UNAUTHORIZED_CLOSE_CODE, reason: UNAUTHORIZED_CLOSE_REASON };
}

/** `authorization` (or `Authorization`) from `connection_init`'s payload, when it is a string. */
function readAuthorization(params: Readonly<Record<string, unknown>> | undefined): string | undefined {
  const value = params?.authorization ?? params?.Authorization;
  return typeof value === 'string' ? value : undefined;
}
