import type { SessionService } from '../auth/session-service.js';
import type { Logger } from '../logger.js';
import type { LiveConnections } from './live-connections.js';
import type { RevocationBus } from './revocation-bus.js';

const RESYNC_RETRY_MS = 1_000;

export interface RevocationDeliveryDeps {
  bus: RevocationBus;
  connections: LiveConnections;
  sessions: Pick<SessionService, 'findEnded'>;
  logger: Logger;
}

/**
 * Hands every revocation heard on the bus to this instance's sockets. When the bus may have
 * missed some, every session that holds a socket here is re-checked in the database, until a
 * check succeeds: no revocation is ever lost to a dropped connection.
 */
export async function deliverRevocations({ bus, connections, sessions, logger }: RevocationDeliveryDeps): Promise<void> {
  let retryTimer: NodeJS.Timeout | undefined;

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

  await bus.subscribe({
    revoked: (event) => void connections.revoke(event),
    resync: () => void resync(),
  });
}
