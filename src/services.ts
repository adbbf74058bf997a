import { createAccountService } from './auth/account-service.js';
import { createDpop } from './auth/dpop.js';
import { createLoginThrottle } from './auth/login-throttle.js';
import { createRevoker, type Revoker } from './auth/revocations.js';
import { createSecurityEvents } from './auth/security-events.js';
import { createServiceKeys } from './auth/service-keys.js';
import { createSessionService } from './auth/session-service.js';
import { createSignUpThrottle } from './auth/sign-up-throttle.js';
import { createAccessTokens } from './auth/tokens.js';
import { createUserAdmin } from './auth/user-admin.js';
import { systemClock, type Clock } from './clock.js';
import { startDispatcher, type Dispatcher } from './events/dispatcher.js';
import type { AddressPolicy } from './events/endpoint-address.js';
import { createSender } from './events/send.js';
import type { EventSigningKey } from './events/signing-key.js';
import { createOutbox } from './events/outbox.js';
import { createWebhookEndpoints } from './events/webhook-endpoints.js';
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
  bus: Pick<SessionEventBus, 'partsFor' | 'publishCommitted'>;
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
  const outbox = createOutbox({ retryHours: config.webhooks.retryHours });
  const revoker = createRevoker({ db, clock, logger, bus, events, outbox, idleTimeoutSeconds: config.sessionIdleTimeoutSeconds });
  // A proof's iat is the device's own clock, real time, whatever the server's clock is set to (tests move it).
  const dpop = createDpop({ db: sessionCheckDb, clock: systemClock, windowSeconds: config.dpop.windowSeconds });
  const sessions = createSessionService({
    db, sessionCheckDb, clock, logger, accessTokens, revoker, events, outbox, dpop,
    isDpopRequired: config.dpop.policy === 'required',
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
  const accounts = createAccountService({ db, clock, logger, sessions, throttle, signUpThrottle, events, revoker, outbox, logins: metrics.logins });
  const admin = createUserAdmin({ db, clock, revoker, events, idleTimeoutSeconds: config.sessionIdleTimeoutSeconds });
  const webhooks = createWebhookEndpoints({ db, clock, policy: addressPolicyOf(config), retryHours: config.webhooks.retryHours });
  return { accounts, sessions, events, revoker, admin, webhooks, dpop, keys: createServiceKeys({ db, clock, logger }) };
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
  cleanupRowsRemoved.inc({ table: 'webhook_deliveries' }, removed.webhookDeliveries);
  cleanupRowsRemoved.inc({ table: 'outbox_events' }, removed.outboxEvents);
  cleanupRowsRemoved.inc({ table: 'dpop_proofs' }, removed.dpopProofs);
}

export function cleanupSettings(config: Config) {
  return {
    sessionRetentionDays: config.sessionRetentionDays,
    securityEventRetentionDays: config.securityEventRetentionDays,
    loginFailureWindowSeconds: config.loginFailureWindowSeconds,
    signUpWindowSeconds: config.signUpWindowSeconds,
    webhookFailedRetentionDays: config.webhooks.failedRetentionDays,
  };
}

/** Where deliveries may go, from the settings. */
export function addressPolicyOf(config: Config): AddressPolicy {
  return { isProduction: config.nodeEnv === 'production', allowPrivateNetworks: config.webhooks.allowPrivateNetworks };
}

/** Deliveries of session events per endpoint at once, from one instance. */
const WEBHOOK_CONCURRENCY = 32;

interface DispatcherDeps {
  config: Config;
  database: Pick<Database, 'db' | 'listen'>;
  services: Pick<Services, 'webhooks'>;
  signingKey: EventSigningKey;
  issuer: string;
  logger: Logger;
  metrics: Pick<Metrics, 'webhookAttempts'>;
}

/** Delivers the outbox from this instance (WEBHOOK_DELIVERY), signing tokens as `issuer`. */
export function startWebhookDispatcher({ config, database, services, signingKey, issuer, logger, metrics }: DispatcherDeps): Promise<Dispatcher> {
  const { timeoutSeconds, maxBackoffSeconds } = config.webhooks;
  return startDispatcher({
    database,
    endpoints: services.webhooks,
    sender: createSender({ policy: addressPolicyOf(config), timeoutMs: timeoutSeconds * 1000, maxSockets: WEBHOOK_CONCURRENCY }),
    signer: { key: signingKey, issuer },
    logger,
    concurrency: WEBHOOK_CONCURRENCY,
    timeoutSeconds,
    maxBackoffSeconds,
    onAttempt: (outcome) => metrics.webhookAttempts.inc({ outcome }),
  });
}
