import { and, eq, gt, sql } from 'drizzle-orm';
import type { Clock } from '../clock.js';
import type { Db } from '../db/client.js';
import { securityEvents, users, type UserRow } from '../db/schema.js';
import type { Logger } from '../logger.js';
import type { LoginThrottle } from './login-throttle.js';
import { verifyAgainstDummy, verifyPassword } from './passwords.js';
import type { RequestOrigin, SecurityEvents } from './security-events.js';

/** Refused for too many attempts: try again after `retryAfterSeconds`. */
export type RateLimited = { ok: false; reason: 'RATE_LIMITED'; retryAfterSeconds: number };

/** Why a password was not accepted: the wrong one, or too many wrong ones to check another. */
export type PasswordRefusal = { ok: false; reason: 'INVALID_CREDENTIALS' } | RateLimited;

export type PasswordCheckResult = { ok: true; user: UserRow } | PasswordRefusal;

export interface PasswordCheckDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  throttle: LoginThrottle;
  events: SecurityEvents;
}

/** One password check under the login throttle, for login, reauthentication and a password change alike. */
export function createPasswordCheck({ db, clock, logger, throttle, events }: PasswordCheckDeps) {
  /**
   * LOGIN_THROTTLED once per account and address per window: every refused attempt used to add
   * one, so a stranger could fill a victim's security activity. Runs under the throttle's lock.
   */
  async function recordThrottledOnce(tx: Db, userId: string, sessionId: string | undefined, origin: RequestOrigin): Promise<void> {
    const since = new Date(clock.now().getTime() - throttle.windowSeconds * 1000);
    const [recorded] = await tx
      .select({ id: securityEvents.id })
      .from(securityEvents)
      .where(and(
        eq(securityEvents.userId, userId),
        eq(securityEvents.type, 'LOGIN_THROTTLED'),
        sql`${securityEvents.ipAddress} IS NOT DISTINCT FROM ${origin.ipAddress}`,
        gt(securityEvents.createdAt, since),
      ))
      .limit(1);
    if (!recorded) await events.record(tx, [{ userId, type: 'LOGIN_THROTTLED', sessionId, origin }]);
  }

  /**
   * Refused unchecked past a limit (RATE_LIMITED), else its budget is taken first, kept as a
   * failure for a wrong password, forgiven for the right one. The same work for an unknown email.
   */
  return async function checkPassword(email: string, password: string, origin: RequestOrigin, sessionId?: string): Promise<PasswordCheckResult> {
    const [user] = await db.select().from(users).where(eq(users.email, email));
    const budget = await throttle.takeAttempt({ email, ipAddress: origin.ipAddress }, async (tx, retryAfterSeconds) => {
      if (user) await recordThrottledOnce(tx, user.id, sessionId, origin);
      logger.warn({ event: 'login.throttled', ipAddress: origin.ipAddress, retryAfterSeconds, requestId: origin.requestId }, 'login throttled');
    });
    if (!budget.ok) return { ok: false, reason: 'RATE_LIMITED', retryAfterSeconds: budget.retryAfterSeconds };
    // An external user has no password: the same work as for an unknown email, and never a match.
    const isValid = user?.passwordHash ? await verifyPassword(user.passwordHash, password) : await verifyAgainstDummy(password);
    if (user && isValid) {
      await throttle.forgive(budget.attempt);
      return { ok: true, user };
    }
    // A failure for an unknown email is logged, but stored against nobody.
    if (user) await events.record(db, [{ userId: user.id, type: 'LOGIN_FAILED', sessionId, origin }]);
    logger.info({ event: 'login.failed', ipAddress: origin.ipAddress, requestId: origin.requestId }, 'login failed');
    return { ok: false, reason: 'INVALID_CREDENTIALS' };
  };
}
