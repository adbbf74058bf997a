import { randomUUID } from 'node:crypto';
import { and, eq, sql, type SQL } from 'drizzle-orm';
import type { Clock } from '../clock.js';
import { onCommit } from '../db/after-commit.js';
import type { Db } from '../db/client.js';
import { sessions } from '../db/schema.js';
import { composeStatement, runStatement, type StatementPart } from '../db/statement.js';
import type { DeviceDetails } from '../devices/device-info.js';
import type { Geolocator, Location } from '../devices/geolocation.js';
import { knownDeviceSql } from '../devices/new-device.js';
import type { Outbox } from '../events/outbox.js';
import type { Logger } from '../logger.js';
import type { SessionEventBus } from '../realtime/session-event-bus.js';
import type { EndedRow, Revoker } from './revocations.js';
import type { RequestOrigin, SecurityEvents } from './security-events.js';
import { isLive, sessionExpiresAt } from './session-lifetime.js';
import type { IssuedSession, PublicUser } from './session-shapes.js';
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
  sessionEvents: Pick<SessionEventBus, 'partsFor' | 'publishCommitted'>;
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
  /** The thumbprint of the device key its sign-in proved (DPoP): the session is bound to that key. */
  dpopJkt?: string | null;
}

/** A new session: its row, first token pair, new-device verdict, security event and push, and the per-user cap. */
export function createSessionCreation(deps: SessionCreationDeps) {
  const { db, clock, logger, accessTokens, revoker, events } = deps;

  /** The least recently active of the user's live sessions beyond the cap, the new one counted. */
  function beyondCap(userId: string, now: Date): SQL {
    return and(eq(sessions.userId, userId), sql`${sessions.id} IN (
      SELECT ${sessions.id} FROM ${sessions}
      WHERE ${and(eq(sessions.userId, userId), isLive(now, deps.idleTimeoutSeconds))}
      ORDER BY ${sessions.lastActiveAt} DESC, ${sessions.createdAt} DESC
      OFFSET ${deps.maxSessionsPerUser - 1})`)!;
  }

  return {
    /**
     * Creates a session with its first token pair and its security event, and evicts the user's
     * least recently active sessions beyond `maxSessionsPerUser`: one statement, in `tx` when
     * given (a transaction of `db/after-commit`), so that sign-up creates the account with it.
     */
    async createSession({ user, device, origin, event, actorServiceKey, dpopJkt = null }: NewSession, tx?: Db): Promise<IssuedSession> {
      const now = clock.now();
      const id = randomUUID();
      const expiresAt = sessionExpiresAt(now, deps.sessionMaxAgeSeconds);
      const access = await accessTokens.sign(user.id, id, expiresAt, dpopJkt);
      const refreshToken = generateSecretToken();
      const location = deps.geolocator.locate(origin.ipAddress);
      const shown = { id, userId: user.id, ...device, ipAddress: origin.ipAddress, ...locationColumns(location), createdAt: now, lastActiveAt: now, expiresAt, dpopJkt };
      const eviction = { where: beyondCap(user.id, now), reason: 'SESSION_LIMIT' as const };
      const at = sql`${now.toISOString()}::timestamptz`;
      const parts: StatementPart[] = [
        {
          name: 'created',
          // Every part reads the database as it was before the statement: the new session is not
          // yet among the user's sessions, neither for the device check nor for the cap.
          query: db.insert(sessions).values({
            ...shown, accessTokenHash: access.tokenHash, refreshTokenHash: hashToken(refreshToken), freshAuthAt: now,
            isNewDevice: sql`NOT ${knownDeviceSql(user.id, device, location?.countryCode ?? null)}`,
          }).returning().getSQL(),
        },
        ...deps.sessionEvents.partsFor({ kind: 'created', part: 'created' }),
        events.partFor('created', { type: event, at, actorServiceKey, origin, isNewDevice: sql`is_new_device` }),
        ...deps.outbox.partsFor('created', {
          types: ['session.created'], at, initiatedBy: actorServiceKey ? 'admin' : 'user',
          actorSessionId: sql`${actorServiceKey ? null : id}::uuid`, actorServiceKey, isNewDevice: sql`is_new_device`,
        }),
        ...revoker.parts(eviction, 'evicted'),
      ];
      const [result] = await runStatement<{ isNewDevice: boolean; evicted: EndedRow[] | string }>(tx ?? db, composeStatement(parts, sql`
        is_new_device AS "isNewDevice",
        (SELECT COALESCE(json_agg(json_build_object('id', id, 'userId', user_id, 'deviceName', device_name, 'revokedAt', revoked_at)), '[]') FROM evicted) AS evicted`, 'created'));
      const isNewDevice = result!.isNewDevice;
      events.log([{ userId: user.id, type: event, sessionId: id, deviceName: device.deviceName, origin, isNewDevice, actorServiceKey }]);
      onCommit(tx, () => deps.sessionEvents.publishCommitted({ kind: 'created', event: { sessionId: id, userId: user.id, isNewDevice } }));
      revoker.ended(typeof result!.evicted === 'string' ? JSON.parse(result!.evicted) : result!.evicted, eviction, tx);
      logger.info({ event: 'session.created', sessionId: id, userId: user.id, deviceName: device.deviceName, ipAddress: origin.ipAddress, isNewDevice, requestId: origin.requestId }, 'session created');
      return { user, session: { ...shown, isNewDevice }, accessToken: access.token, accessTokenExpiresAt: access.expiresAt, refreshToken, isNewDevice };
    },
  };
}

function locationColumns(location: Location | null) {
  return { locationCity: location?.city ?? null, locationRegion: location?.region ?? null, locationCountryCode: location?.countryCode ?? null };
}
