import { createAccountService } from './auth/account-service.js';
import { createLoginThrottle } from './auth/login-throttle.js';
import { createRevoker, type Revoker } from './auth/revocations.js';
import { createSecurityEvents } from './auth/security-events.js';
import { createServiceKeys } from './auth/service-keys.js';
import { createSessionService } from './auth/session-service.js';
import { createSignUpThrottle } from './auth/sign-up-throttle.js';
import { createAccessTokens } from './auth/tokens.js';
import { createUserAdmin } from './auth/user-admin.js';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { Services } from './context.js';
import type { Database } from './db/client.js';
import type { Geolocator } from './devices/geolocation.js';
import { runCleanup, type CleanupResult } from './jobs/cleanup.js';
import { sweepExpiredSessions } from './jobs/expiry-sweep.js';
import { every, type ScheduledJob } from './jobs/schedule.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { SessionEventBus } from './realtime/session-event-bus.js';

export interface ServicesDeps {
  config: Config;
  database: Pick<Database, 'db' | 'sessionCheckDb'>;
  bus: Pick<SessionEventBus, 'publishEnded' | 'publishCreated' | 'publishRenamed'>;
  logger: Logger;
  authSecret: string;
  clock: Clock;
  geolocator: Geolocator;
  metrics: Pick<Metrics, 'logins' | 'authFailures'>;
}

/** Builds every service from the settings, each given what it needs and nothing more. */
export function createServices({ config, database: { db, sessionCheckDb }, bus, logger, authSecret, clock, geolocator, metrics }: ServicesDeps): Services & { revoker: Revoker } {
  const accessTokens = createAccessTokens({ secret: authSecret, ttlSeconds: config.accessTokenTtlSeconds, clock });
  const events = createSecurityEvents({ db, clock, logger });
  const revoker = createRevoker({ db, clock, logger, bus, events, idleTimeoutSeconds: config.sessionIdleTimeoutSeconds });
  const sessions = createSessionService({
    db, sessionCheckDb, clock, logger, accessTokens, revoker, events,
    sessionMaxAgeSeconds: config.sessionMaxAgeSeconds,
    idleTimeoutSeconds: config.sessionIdleTimeoutSeconds,
    lastActiveWriteIntervalSeconds: config.lastActiveWriteIntervalSeconds,
    freshAuthSeconds: config.freshAuthSeconds,
    maxSessionsPerUser: config.maxSessionsPerUser,
    geolocator,
    sessionEvents: bus,
    authFailures: metrics.authFailures,
  });
  const throttle = createLoginThrottle({
    db, clock,
    limits: { perEmailAndIp: config.loginMaxFailuresPerEmailIp, perIp: config.loginMaxFailuresPerIp, windowSeconds: config.loginFailureWindowSeconds },
  });
  const signUpThrottle = createSignUpThrottle({ db, clock, limits: { perIp: config.signUpMaxPerIp, windowSeconds: config.signUpWindowSeconds } });
  const accounts = createAccountService({ db, clock, logger, sessions, throttle, signUpThrottle, events, revoker, logins: metrics.logins });
  const admin = createUserAdmin({ db, clock, revoker, events, idleTimeoutSeconds: config.sessionIdleTimeoutSeconds });
  return { accounts, sessions, events, revoker, admin, keys: createServiceKeys({ db, clock, logger }) };
}

export type JobName = 'expirySweep' | 'cleanup';

/** The background jobs of a running server: the expiry sweep and the cleanup. */
export function startJobs(
  { config, database, revoker, clock, logger, metrics }: {
    config: Config; database: Pick<Database, 'db' | 'tryWithLock'>; revoker: Revoker; clock: Clock; logger: Logger; metrics: Pick<Metrics, 'cleanupRowsRemoved'>;
  },
): Record<JobName, ScheduledJob> {
  const cleanup = async () => countRemoved(metrics, await runCleanup({ database, clock, logger, ...cleanupSettings(config) }));
  return {
    expirySweep: every(config.expirySweepSeconds, 'expiry-sweep', () => sweepExpiredSessions({ revoker, clock, idleTimeoutSeconds: config.sessionIdleTimeoutSeconds }), logger),
    cleanup: every(config.cleanupIntervalSeconds, 'cleanup', cleanup, logger),
  };
}

/** Nothing when another instance held the lock: its own counters have the rows. */
function countRemoved({ cleanupRowsRemoved }: Pick<Metrics, 'cleanupRowsRemoved'>, removed: CleanupResult | null): void {
  if (!removed) return;
  cleanupRowsRemoved.inc({ table: 'sessions' }, removed.sessions);
  cleanupRowsRemoved.inc({ table: 'security_events' }, removed.securityEvents);
  cleanupRowsRemoved.inc({ table: 'login_failures' }, removed.loginFailures);
  cleanupRowsRemoved.inc({ table: 'sign_up_attempts' }, removed.signUpAttempts);
}

export function cleanupSettings(config: Config) {
  return {
    sessionRetentionDays: config.sessionRetentionDays,
    securityEventRetentionDays: config.securityEventRetentionDays,
    loginFailureWindowSeconds: config.loginFailureWindowSeconds,
    signUpWindowSeconds: config.signUpWindowSeconds,
  };
}
