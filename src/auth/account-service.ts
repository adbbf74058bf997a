import { isEmail } from 'class-validator';
import { and, eq, gt, ne, sql } from 'drizzle-orm';
import type { Clock } from '../clock.js';
import type { Db } from '../db/client.js';
import { securityEvents, sessions as sessionsTable, users, type UserRow } from '../db/schema.js';
import type { DeviceDetails } from '../devices/device-info.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { hashPassword, verifyAgainstDummy, verifyPassword } from './passwords.js';
import { RateLimitedError } from '../errors.js';
import type { LoginThrottle } from './login-throttle.js';
import type { SignUpThrottle } from './sign-up-throttle.js';
import type { Revoker } from './revocations.js';
import type { RequestOrigin, SecurityEvents } from './security-events.js';
import type { SessionService } from './session-service.js';
import type { Authenticated, IssuedSession } from './session-shapes.js';

const EMAIL_MAX_LENGTH = 254;

/**
 * Trims, lower-cases and composes (Unicode NFC) an email; null when it is not a plausible address.
 * NFC, because "é" typed as one code point or as "e" plus an accent must be one account, not two.
 */
export function normalizeEmail(raw: string): string | null {
  const email = raw.trim().toLowerCase().normalize('NFC');
  return email.length <= EMAIL_MAX_LENGTH && isEmail(email) ? email : null;
}

/** Where a sign-in comes from: the device and the request. */
export interface SignInOrigin extends RequestOrigin {
  device: DeviceDetails;
}

export interface AccountServiceDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  sessions: SessionService;
  throttle: LoginThrottle;
  signUpThrottle: SignUpThrottle;
  events: SecurityEvents;
  revoker: Revoker;
  logins: Metrics['logins'];
}

export type AccountService = ReturnType<typeof createAccountService>;

export function createAccountService({ db, clock, logger, sessions, throttle, signUpThrottle, events, revoker, logins }: AccountServiceDeps) {
  /**
   * One password check under the throttle: refused unchecked past a limit (RATE_LIMITED), else its
   * budget is taken first, kept as a failure for a wrong password, forgiven for the right one.
   * Returns the account for the right password.
   */
  async function checkPassword(email: string, password: string, origin: RequestOrigin, sessionId?: string): Promise<UserRow | null> {
    const [user] = await db.select().from(users).where(eq(users.email, email));
    const budget = await throttle.takeAttempt({ email, ipAddress: origin.ipAddress }, async (tx, retryAfterSeconds) => {
      if (user) await recordThrottledOnce(tx, user.id, sessionId, origin);
      logger.warn({ event: 'login.throttled', ipAddress: origin.ipAddress, retryAfterSeconds, requestId: origin.requestId }, 'login throttled');
    });
    if (!budget.ok) throw new RateLimitedError(budget.retryAfterSeconds);
    const isValid = user ? await verifyPassword(user.passwordHash, password) : await verifyAgainstDummy(password);
    if (user && isValid) {
      await throttle.forgive(budget.attempt);
      return user;
    }
    // A failure for an unknown email is logged, but stored against nobody.
    if (user) await events.record(db, [{ userId: user.id, type: 'LOGIN_FAILED', sessionId, origin }]);
    logger.info({ event: 'login.failed', ipAddress: origin.ipAddress, requestId: origin.requestId }, 'login failed');
    return null;
  }

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

  return {
    /**
     * Creates the account and its first session together; null when the email is taken. Inputs must
     * be normalized. Refused (RATE_LIMITED) past the address's sign-up budget, before any hashing.
     */
    async signUp(email: string, password: string, origin: SignInOrigin): Promise<IssuedSession | null> {
      const budget = await signUpThrottle.takeAttempt(origin.ipAddress);
      if (!budget.ok) {
        logger.warn({ event: 'signup.throttled', ipAddress: origin.ipAddress, retryAfterSeconds: budget.retryAfterSeconds, requestId: origin.requestId }, 'sign-up throttled');
        throw new RateLimitedError(budget.retryAfterSeconds);
      }
      const passwordHash = await hashPassword(password);
      const issued = await db.transaction(async (tx) => {
        const [user] = await tx
          .insert(users)
          .values({ email, passwordHash, createdAt: clock.now() })
          .onConflictDoNothing({ target: users.email })
          .returning({ id: users.id, email: users.email, createdAt: users.createdAt });
        if (!user) return null;
        return sessions.createSession({ user, device: origin.device, origin, event: 'SIGNED_UP' }, tx);
      });
      if (issued) logger.info({ event: 'user.signed_up', userId: issued.user.id, requestId: origin.requestId }, 'account created');
      return issued;
    },

    /** A new session for the right password; null otherwise, after the same amount of work either way. */
    async login(email: string, password: string, origin: SignInOrigin): Promise<IssuedSession | null> {
      const user = await checkPassword(email, password, origin).catch((error: unknown) => {
        if (error instanceof RateLimitedError) logins.inc({ outcome: 'throttled' });
        throw error;
      });
      if (!user) {
        logins.inc({ outcome: 'failure' });
        return null;
      }
      const issued = await sessions.createSession({ user: { id: user.id, email: user.email, createdAt: user.createdAt }, device: origin.device, origin, event: 'LOGGED_IN' });
      logins.inc({ outcome: 'success' });
      return issued;
    },

    /** Sudo mode: the right password marks the caller's session fresh. Throttled like a login. */
    async reauthenticate(caller: Authenticated, password: string, origin: RequestOrigin): Promise<boolean> {
      const user = await checkPassword(caller.user.email, password, origin, caller.sessionId);
      if (!user) return false;
      await db.transaction(async (tx) => {
        await sessions.markFresh(caller.sessionId, tx);
        await events.record(tx, [{ userId: user.id, type: 'REAUTHENTICATED', sessionId: caller.sessionId, origin }]);
      });
      return true;
    },

    /**
     * Replaces the password after checking the current one, and by default ends every other
     * session. False when the current password is wrong. `newPassword` must be valid.
     */
    async changePassword(caller: Authenticated, currentPassword: string, newPassword: string, signOutOthers: boolean, origin: RequestOrigin): Promise<boolean> {
      const user = await checkPassword(caller.user.email, currentPassword, origin, caller.sessionId);
      if (!user) return false;
      const passwordHash = await hashPassword(newPassword);
      await db.transaction(async (tx) => {
        await tx.update(users).set({ passwordHash }).where(eq(users.id, user.id));
        await sessions.markFresh(caller.sessionId, tx);
        await events.record(tx, [{ userId: user.id, type: 'PASSWORD_CHANGED', sessionId: caller.sessionId, origin }]);
        if (!signOutOthers) return;
        const others = and(eq(sessionsTable.userId, user.id), ne(sessionsTable.id, caller.sessionId))!;
        await revoker.revoke({ where: others, reason: 'PASSWORD_CHANGED', actor: { sessionId: caller.sessionId, origin } }, tx);
      });
      return true;
    },
  };
}
