import { randomUUID } from 'node:crypto';
import { and, eq, ne, sql } from 'drizzle-orm';
import type { Clock } from '../clock.js';
import type { Db } from '../db/client.js';
import { sessions } from '../db/schema.js';
import type { DeviceDetails } from '../devices/device-info.js';
import type { Geolocator, Location } from '../devices/geolocation.js';
import { isKnownDevice } from '../devices/new-device.js';
import type { Outbox } from '../events/outbox.js';
import type { Logger } from '../logger.js';
import type { SessionEventBus } from '../realtime/session-event-bus.js';
import type { Revoker } from './revocations.js';
import type { RequestOrigin, SecurityEvents } from './security-events.js';
import { isLive, sessionExpiresAt } from './session-lifetime.js';
import { publicSessionColumns, type IssuedSession, type PublicUser } from './session-shapes.js';
import { generateSecretToken, hashToken, type AccessTokens } from './tokens.js';

export interface SessionCreationDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  accessTokens: AccessTokens;
  revoker: Revoker;
  events: SecurityEvents;
  geolocator: Geolocator;
  /** Told of every new session inside its transaction, for the user's other devices. */
  sessionEvents: Pick<SessionEventBus, 'publishCreated'>;
  /** Where each new session is written for apps' backends (`session.created`). */
  outbox: Outbox;
  sessionMaxAgeSeconds: number;
  idleTimeoutSeconds: number;
  maxSessionsPerUser: number;
}

/** How a session is created: sign-up's first session, or a login. */
export interface NewSession {
  user: PublicUser;
  device: DeviceDetails;
  origin: RequestOrigin;
  event: 'SIGNED_UP' | 'LOGGED_IN';
  /** The service key that asked for it (issueSession), by name. */
  actorServiceKey?: string;
}

/** A new session: its row, first token pair, new-device verdict, security event and push, and the per-user cap. */
export function createSessionCreation(deps: SessionCreationDeps) {
  const { db, clock, logger, accessTokens, revoker, events } = deps;

  /** Revokes, in the login's transaction, the least recently active sessions beyond the cap. */
  async function evictBeyondCap(tx: Db, userId: string, newSessionId: string, now: Date): Promise<void> {
    const keep = deps.maxSessionsPerUser - 1;
    const evicted = sql`${sessions.id} IN (
      SELECT ${sessions.id} FROM ${sessions}
      WHERE ${and(eq(sessions.userId, userId), ne(sessions.id, newSessionId), isLive(now, deps.idleTimeoutSeconds))}
      ORDER BY ${sessions.lastActiveAt} DESC, ${sessions.createdAt} DESC
      OFFSET ${keep})`;
    await revoker.revoke({ where: and(eq(sessions.userId, userId), evicted)!, reason: 'SESSION_LIMIT' }, tx);
  }

  return {
    /**
     * Creates a session with its first token pair and its security event, and evicts the user's
     * least recently active sessions beyond `maxSessionsPerUser`. `tx` lets sign-up create the
     * account in the same transaction.
     */
    async createSession({ user, device, origin, event, actorServiceKey }: NewSession, tx?: Db): Promise<IssuedSession> {
      const now = clock.now();
      const id = randomUUID();
      const expiresAt = sessionExpiresAt(now, deps.sessionMaxAgeSeconds);
      const access = await accessTokens.sign(user.id, id, expiresAt);
      const refreshToken = generateSecretToken();
      const location = deps.geolocator.locate(origin.ipAddress);
      const create = async (tx: Db) => {
        const isNewDevice = !(await isKnownDevice(tx, user.id, device, location?.countryCode ?? null));
        const [session] = await tx
          .insert(sessions)
          .values({
            id, userId: user.id, accessTokenHash: access.tokenHash, refreshTokenHash: hashToken(refreshToken),
            ...device, ipAddress: origin.ipAddress, ...locationColumns(location), isNewDevice, createdAt: now, lastActiveAt: now, expiresAt, freshAuthAt: now,
          })
          .returning(publicSessionColumns);
        // Sent at once: postgres.js pipelines them, one round trip for the three.
        await Promise.all([
          events.record(tx, [{ userId: user.id, type: event, sessionId: id, deviceName: device.deviceName, origin, isNewDevice, actorServiceKey }]),
          deps.sessionEvents.publishCreated(tx, { sessionId: id, userId: user.id, isNewDevice }),
          deps.outbox.record(tx, [{
            type: 'session.created', userId: user.id, sessionId: id, at: now, isNewDevice,
            initiatedBy: actorServiceKey ? 'admin' : 'user', actorServiceKey, actorSessionId: actorServiceKey ? null : id,
          }]),
        ]);
        await evictBeyondCap(tx, user.id, id, now);
        return { session: session!, isNewDevice };
      };
      const { session, isNewDevice } = tx ? await create(tx) : await db.transaction(create);
      logger.info({ event: 'session.created', sessionId: id, userId: user.id, deviceName: device.deviceName, ipAddress: origin.ipAddress, isNewDevice, requestId: origin.requestId }, 'session created');
      return { user, session, accessToken: access.token, accessTokenExpiresAt: access.expiresAt, refreshToken, isNewDevice };
    },
  };
}

function locationColumns(location: Location | null) {
  return { locationCity: location?.city ?? null, locationRegion: location?.region ?? null, locationCountryCode: location?.countryCode ?? null };
}
