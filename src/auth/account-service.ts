import { isEmail } from 'class-validator';
import { and, eq, ne } from 'drizzle-orm';
import type { Clock } from '../clock.js';
import type { Db } from '../db/client.js';
import { sessions as sessionsTable, users } from '../db/schema.js';
import type { DeviceDetails } from '../devices/device-info.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { createPasswordCheck, type PasswordRefusal, type RateLimited } from './password-check.js';
import { hashPassword } from './passwords.js';
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

/** A new account's first session, or why not. */
export type SignUpResult = { ok: true; issued: IssuedSession } | { ok: false; reason: 'EMAIL_TAKEN' } | RateLimited;

/** A new session for the right password, or why not. */
export type LoginResult = { ok: true; issued: IssuedSession } | PasswordRefusal;

export function createAccountService({ db, clock, logger, sessions, throttle, signUpThrottle, events, revoker, logins }: AccountServiceDeps) {
  const checkPassword = createPasswordCheck({ db, clock, logger, throttle, events });

  return {
    /**
     * Creates the account and its first session together; EMAIL_TAKEN when it exists. Inputs must
     * be normalized. Refused (RATE_LIMITED) past the address's sign-up budget, before any hashing.
     */
    async signUp(email: string, password: string, origin: SignInOrigin): Promise<SignUpResult> {
      const budget = await signUpThrottle.takeAttempt(origin.ipAddress);
      if (!budget.ok) {
        logger.warn({ event: 'signup.throttled', ipAddress: origin.ipAddress, retryAfterSeconds: budget.retryAfterSeconds, requestId: origin.requestId }, 'sign-up throttled');
        return { ok: false, reason: 'RATE_LIMITED', retryAfterSeconds: budget.retryAfterSeconds };
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
      if (!issued) return { ok: false, reason: 'EMAIL_TAKEN' };
      logger.info({ event: 'user.signed_up', userId: issued.user.id, requestId: origin.requestId }, 'account created');
      return { ok: true, issued };
    },

    /** A new session for the right password, after the same amount of work for any refusal. */
    async login(email: string, password: string, origin: SignInOrigin): Promise<LoginResult> {
      const checked = await checkPassword(email, password, origin);
      if (!checked.ok) {
        logins.inc({ outcome: checked.reason === 'RATE_LIMITED' ? 'throttled' : 'failure' });
        return checked;
      }
      const { user } = checked;
      const issued = await sessions.createSession({ user: { id: user.id, email: user.email, createdAt: user.createdAt }, device: origin.device, origin, event: 'LOGGED_IN' });
      logins.inc({ outcome: 'success' });
      return { ok: true, issued };
    },

    /** Sudo mode: the right password marks the caller's session fresh. Throttled like a login. */
    async reauthenticate(caller: Authenticated, password: string, origin: RequestOrigin): Promise<{ ok: true } | PasswordRefusal> {
      const checked = await checkPassword(caller.user.email, password, origin, caller.sessionId);
      if (!checked.ok) return checked;
      await db.transaction(async (tx) => {
        await sessions.markFresh(caller.sessionId, tx);
        await events.record(tx, [{ userId: checked.user.id, type: 'REAUTHENTICATED', sessionId: caller.sessionId, origin }]);
      });
      return { ok: true };
    },

    /**
     * Replaces the password after checking the current one, and by default ends every other
     * session. `newPassword` must be valid.
     */
    async changePassword(caller: Authenticated, currentPassword: string, newPassword: string, signOutOthers: boolean, origin: RequestOrigin): Promise<{ ok: true } | PasswordRefusal> {
      const checked = await checkPassword(caller.user.email, currentPassword, origin, caller.sessionId);
      if (!checked.ok) return checked;
      const { user } = checked;
      const passwordHash = await hashPassword(newPassword);
      await db.transaction(async (tx) => {
        await tx.update(users).set({ passwordHash }).where(eq(users.id, user.id));
        await sessions.markFresh(caller.sessionId, tx);
        await events.record(tx, [{ userId: user.id, type: 'PASSWORD_CHANGED', sessionId: caller.sessionId, origin }]);
        if (!signOutOthers) return;
        const others = and(eq(sessionsTable.userId, user.id), ne(sessionsTable.id, caller.sessionId))!;
        await revoker.revoke({ where: others, reason: 'PASSWORD_CHANGED', actor: { sessionId: caller.sessionId, origin } }, tx);
      });
      return { ok: true };
    },
  };
}
