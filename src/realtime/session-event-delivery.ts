import type { PublicSession } from '../db/schema.js';
import type { Logger } from '../logger.js';
import type { LiveConnections, SessionChangeKind } from './live-connections.js';
import type { SessionEndedEvent, SessionEventBus } from './session-event-bus.js';

const RESYNC_RETRY_MS = 1_000;

/** What delivery reads of the sessions (the session service is one). */
export interface SessionLookup {
  /** Which of these sessions have ended, and how. */
  findEnded(sessionIds: readonly string[]): Promise<SessionEndedEvent[]>;
  /** These sessions of the user, as they are now. */
  sessionsOf(userId: string, sessionIds: readonly string[]): Promise<PublicSession[]>;
}

export interface SessionEventDeliveryDeps {
  bus: SessionEventBus;
  connections: LiveConnections;
  sessions: SessionLookup;
  logger: Logger;
}

/**
 * Hands every session end heard on the bus to this instance's sockets of that session, and every
 * change to a user's sessions to that user's `mySessionsChanged` subscribers. When the bus may
 * have missed events, every session that holds a socket here is re-checked in the database, until
 * a check succeeds: no revocation is ever lost to a dropped connection. A bus that brings this
 * instance only its users' events follows each user it holds sockets of, and the sessions of
 * sockets that opened before it did are checked once it does.
 */
export async function deliverSessionEvents({ bus, connections, sessions, logger }: SessionEventDeliveryDeps): Promise<void> {
  let retryTimer: NodeJS.Timeout | undefined;
  // Changes heard in one turn of the event loop, by user and the whole change (its reason and time
  // included, which each session of a batch is told): one query per user for a revocation of many.
  const pending = new Map<string, { userId: string; change: SessionChangeKind; sessionIds: string[] }>();

  function queueChange(userId: string, sessionId: string, change: SessionChangeKind): void {
    const key = `${userId}|${JSON.stringify(change)}`;
    if (pending.size === 0) setImmediate(() => void flushChanges());
    const batch = pending.get(key) ?? { userId, change, sessionIds: [] };
    batch.sessionIds.push(sessionId);
    pending.set(key, batch);
  }

  async function flushChanges(): Promise<void> {
    const batches = [...pending.values()];
    pending.clear();
    await Promise.all(batches.map(async ({ userId, change, sessionIds }) => {
      // Checked once per batch, not per session: a fan-out revokes a thousand at a time.
      if (connections.listeningToChanges(userId).length === 0) return;
      try {
        const changed = await sessions.sessionsOf(userId, sessionIds);
        for (const connection of connections.listeningToChanges(userId)) {
          for (const session of changed) connection.pushChange({ ...change, session });
        }
      } catch (error) {
        logger.error({ err: error, userId }, 'could not deliver a change of sessions');
      }
    }));
  }

  async function resync(): Promise<void> {
    clearTimeout(retryTimer);
    try {
      const ended = await sessions.findEnded(connections.sessionIds());
      if (ended.length > 0) logger.info({ sessions: ended.length }, 'closing the sockets of sessions that ended while the listener was away');
      await Promise.all(ended.map((event) => connections.revoke(event)));
    } catch (error) {
      logger.error({ err: error, retryInMs: RESYNC_RETRY_MS }, 'could not re-check the sessions of open sockets; retrying');
      retryTimer = setTimeout(() => void resync(), RESYNC_RETRY_MS);
      retryTimer.unref();
    }
  }

  // Sessions of sockets registered before the bus heard their users' events, checked in one
  // query per turn of the event loop: a thousand sockets opening at once cost one query.
  const unheard = new Set<string>();
  async function recheckUnheard(): Promise<void> {
    const sessionIds = [...unheard];
    unheard.clear();
    try {
      await Promise.all((await sessions.findEnded(sessionIds)).map((event) => connections.revoke(event)));
    } catch (error) {
      logger.error({ err: error }, 'could not re-check the sessions of new sockets; the next re-check covers them');
    }
  }

  connections.observe({
    added: (connection) => {
      void bus.follow(connection.userId).then((mayHaveMissed) => {
        if (!mayHaveMissed) return;
        if (unheard.size === 0) setImmediate(() => void recheckUnheard());
        unheard.add(connection.sessionId);
      });
    },
    userLeft: (userId) => bus.unfollow(userId),
  });

  await bus.subscribe({
    ended: (event) => {
      void connections.revoke(event);
      if (event.userId) queueChange(event.userId, event.sessionId, { type: 'REVOKED', reason: event.reason, revokedAt: event.revokedAt });
    },
    created: (event) => queueChange(event.userId, event.sessionId, { type: 'CREATED', isNewDevice: event.isNewDevice }),
    renamed: (event) => queueChange(event.userId, event.sessionId, { type: 'RENAMED' }),
    resync: () => void resync(),
  });
}
