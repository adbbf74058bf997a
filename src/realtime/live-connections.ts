import QuickLRU from 'quick-lru';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { PublicSession, RevocationReason } from '../db/schema.js';
import { sessionEndedCloseReason, TOKEN_EXPIRED_CLOSE_CODE, TOKEN_EXPIRED_CLOSE_REASON, UNAUTHORIZED_CLOSE_CODE } from './close-codes.js';
import { EventQueue } from './event-queue.js';
import type { SessionEndedEvent } from './session-event-bus.js';
import { SessionEndedStream } from './session-ended-stream.js';
import { watchExpiry } from './token-expiry.js';

/** What happened to one of a user's sessions: a sign-in, from a new device or not, or an end and its reason. */
export type SessionChangeKind =
  | { type: 'CREATED'; isNewDevice: boolean }
  | { type: 'REVOKED'; reason: RevocationReason; revokedAt: Date }
  | { type: 'RENAMED' };

/** One change to a user's sessions, as `mySessionsChanged` tells it. */
export type SessionChange = SessionChangeKind & { session: PublicSession };

/** The socket side of a connection: only what revocation needs. */
export interface ClosableSocket {
  close(code: number, reason: string): void;
}

/** Who opened a connection: the session, and the access token's expiry, which bounds the socket's life. */
export interface ConnectionAuth {
  sessionId: string;
  userId: string;
  tokenExpiresAt: Date;
}

/** One WebSocket connection, authenticated by one session, and alive no longer than its access token. */
export class LiveConnection {
  readonly sessionId: string;
  readonly userId: string;
  readonly tokenExpiresAt: Date;
  /** Set once the session is revoked: no operation may run on this connection any more. */
  revokedBy: SessionEndedEvent | undefined;
  private readonly streams = new Set<SessionEndedStream>();
  private readonly changeStreams = new Set<EventQueue<SessionChange>>();
  private stopWatchingExpiry: () => void = () => {};

  constructor(
    auth: ConnectionAuth,
    private readonly socket: ClosableSocket,
    private readonly clock: Clock,
  ) {
    this.sessionId = auth.sessionId;
    this.userId = auth.userId;
    this.tokenExpiresAt = auth.tokenExpiresAt;
  }

  /** Whether its token has reached `exp` on the server's clock: then nothing more may be written to it. */
  get isExpired(): boolean {
    return this.clock.now() >= this.tokenExpiresAt;
  }

  /** Closes the socket with 4419 if its token has expired, and says whether it did: asked before every write. */
  closeIfExpired(): boolean {
    if (!this.isExpired) return false;
    this.socket.close(TOKEN_EXPIRED_CLOSE_CODE, TOKEN_EXPIRED_CLOSE_REASON);
    return true;
  }

  /** Closes the socket by itself when its token expires, even if nothing is written to it, until `stopExpiryTimer`. */
  startExpiryTimer(): void {
    this.stopWatchingExpiry = watchExpiry(this.tokenExpiresAt, this.clock, () => this.closeIfExpired());
  }

  stopExpiryTimer(): void {
    this.stopWatchingExpiry();
  }

  /** A `sessionRevoked` subscription: one event when this connection's session ends. */
  openSessionEndedStream(): SessionEndedStream {
    const stream = new SessionEndedStream();
    this.streams.add(stream);
    void stream.delivered.then(() => this.streams.delete(stream));
    if (this.revokedBy) stream.push(this.revokedBy);
    return stream;
  }

  /** A `mySessionsChanged` subscription: every change to the user's sessions. */
  openChangeStream(): EventQueue<SessionChange> {
    const stream: EventQueue<SessionChange> = new EventQueue(() => this.changeStreams.delete(stream));
    this.changeStreams.add(stream);
    return stream;
  }

  /** Its running subscriptions: `sessionRevoked` ones not yet answered, and `mySessionsChanged` ones. */
  get subscriptionCount(): number {
    return this.streams.size + this.changeStreams.size;
  }

  get wantsChanges(): boolean {
    return this.changeStreams.size > 0 && !this.revokedBy;
  }

  pushChange(change: SessionChange): void {
    if (this.revokedBy || this.closeIfExpired()) return;
    for (const stream of this.changeStreams) stream.push(change);
  }

  /**
   * Tells every subscription, waits (at most `deliveryTimeoutMs`) for the events to be written, then
   * closes. `onWritten` is called for each event written to the socket.
   */
  async revoke(event: SessionEndedEvent, deliveryTimeoutMs: number, onWritten: () => void = () => {}): Promise<void> {
    if (this.revokedBy) return;
    this.revokedBy = event;
    // Past its token's exp a socket is not told even this: it closes as expired, and the token the
    // client reconnects with meets the session check at connection_init.
    if (this.closeIfExpired()) return;
    const pending = [...this.streams].map(async (stream) => {
      stream.push(event);
      if (await stream.delivered) onWritten();
    });
    let timer: NodeJS.Timeout | undefined;
    // A client that stopped reading must not keep a revoked socket open.
    const timeout = new Promise<void>((resolve) => { timer = setTimeout(resolve, deliveryTimeoutMs); });
    await Promise.race([Promise.all(pending), timeout]);
    clearTimeout(timer);
    this.closeAsEnded(event);
  }

  /** Closes the socket with 4401 and the reason its session ended. */
  closeAsEnded(event: SessionEndedEvent): void {
    this.socket.close(UNAUTHORIZED_CLOSE_CODE, sessionEndedCloseReason(event.reason));
  }
}

export interface ConnectionsObserver {
  added(connection: LiveConnection): void;
  userLeft(userId: string): void;
}

export interface LiveConnectionsOptions {
  logger: Logger;
  /** The server's clock, which decides when a connection's token has expired. */
  clock: Clock;
  /** How long a revoked connection waits for its events to be written before closing. @default 1000 */
  deliveryTimeoutMs?: number;
  /** Told, for each `sessionRevoked` event written, the seconds since `revoke` was called with it. @default nothing */
  onRevocationWritten?: (seconds: number) => void;
}

/**
 * Every authenticated WebSocket connection of this instance, by session, so a revocation heard
 * from the bus reaches all of them.
 */
export function createLiveConnections({ logger, clock, deliveryTimeoutMs = 1_000, onRevocationWritten = () => {} }: LiveConnectionsOptions) {
  const bySession = new Map<string, Set<LiveConnection>>();
  const byUser = new Map<string, Set<LiveConnection>>();
  // A revocation can arrive between a connection's session check and its registration; this
  // remembers recent ones long enough to catch that connection when it registers.
  const recentlyRevoked = new QuickLRU<string, SessionEndedEvent>({ maxSize: 100_000, maxAge: 60_000 });
  let observer: ConnectionsObserver = { added() {}, userLeft() {} };

  return {
    /**
     * Registers a checked socket as a connection, closed by itself when its token expires; undefined
     * (and the socket closed) when its session was revoked, or its token expired, meanwhile.
     */
    add(auth: ConnectionAuth, socket: ClosableSocket): LiveConnection | undefined {
      const connection = new LiveConnection(auth, socket, clock);
      const revoked = recentlyRevoked.get(connection.sessionId);
      if (revoked) {
        connection.revokedBy = revoked;
        connection.closeAsEnded(revoked);
        return undefined;
      }
      if (connection.closeIfExpired()) return undefined;
      addTo(bySession, connection.sessionId, connection);
      addTo(byUser, connection.userId, connection);
      connection.startExpiryTimer();
      observer.added(connection);
      return connection;
    },

    remove(connection: LiveConnection): void {
      connection.stopExpiryTimer();
      removeFrom(bySession, connection.sessionId, connection);
      if (removeFrom(byUser, connection.userId, connection)) observer.userLeft(connection.userId);
    },

    /** Tells `observer` of each connection registered, and of each user whose last connection here went. */
    observe(next: ConnectionsObserver): void {
      observer = next;
    },

    /** The user's connections here that listen to `mySessionsChanged`. */
    listeningToChanges(userId: string): LiveConnection[] {
      return [...(byUser.get(userId) ?? [])].filter((connection) => connection.wantsChanges);
    },

    /** Delivers a revocation to the session's connections on this instance, then closes them. */
    async revoke(event: SessionEndedEvent): Promise<void> {
      const heardAt = performance.now();
      recentlyRevoked.set(event.sessionId, event);
      const set = bySession.get(event.sessionId);
      if (!set) return;
      bySession.delete(event.sessionId);
      logger.debug({ sessionId: event.sessionId, reason: event.reason, connections: set.size }, 'closing the sockets of a revoked session');
      const onWritten = () => onRevocationWritten((performance.now() - heardAt) / 1000);
      await Promise.all([...set].map((connection) => connection.revoke(event, deliveryTimeoutMs, onWritten)));
    },

    /** The sessions that hold at least one connection here. */
    sessionIds(): string[] {
      return [...bySession.keys()];
    },

    get size(): number {
      let count = 0;
      for (const set of bySession.values()) count += set.size;
      return count;
    },

    /** Subscriptions running on these connections, or on one session's. */
    subscriptionCount(sessionId?: string): number {
      const sets = sessionId === undefined ? bySession.values() : [bySession.get(sessionId) ?? []];
      let count = 0;
      for (const set of sets) for (const connection of set) count += connection.subscriptionCount;
      return count;
    },
  };
}

export type LiveConnections = ReturnType<typeof createLiveConnections>;

function addTo(index: Map<string, Set<LiveConnection>>, key: string, connection: LiveConnection): void {
  const set = index.get(key) ?? new Set();
  set.add(connection);
  index.set(key, set);
}

/** Whether that was the key's last connection. */
function removeFrom(index: Map<string, Set<LiveConnection>>, key: string, connection: LiveConnection): boolean {
  const set = index.get(key);
  if (!set?.delete(connection) || set.size > 0) return false;
  index.delete(key);
  return true;
}
