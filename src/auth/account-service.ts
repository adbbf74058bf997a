import { isEmail } from 'class-validator';
import { and, eq, ne, sql } from 'drizzle-orm';
import type { Clock } from '../clock.js';
import { transaction } from '../db/after-commit.js';
import type { Db } from '../db/client.js';
import { isUniqueViolation } from '../db/errors.js';
import { sessions as sessionsTable, users } from '../db/schema.js';
import type { DeviceDetails } from '../devices/device-info.js';
import type { Outbox } from '../events/outbox.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { createPasswordCheck, type PasswordCheckResult, type PasswordRefusal, type RateLimited } from './password-check.js';
import { hashPassword } from './passwords.js';
import type { LoginThrottle } from './login-throttle.js';
import type { SignUpThrottle } from './sign-up-throttle.js';
import type { Revoker } from './revocations.js';
import type { RequestOrigin, SecurityEvents } from './security-events.js';
import type { SessionService } from './session-service.js';
import { publicUserColumns, type Authenticated, type IssuedSession } from './session-shapes.js';

const EMAIL_MAX_LENGTH = 254;
/** The longest id an app may give its users (`externalId`). */
export const EXTERNAL_ID_MAX_LENGTH = 255;

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
  /** The device key the sign-in's DPoP proof proved: its session is bound to it. */
  dpopJkt: string | null;
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
  /** Where a password change is written for apps' backends (`user.password_changed`). */
  outbox: Outbox;
  logins: Metrics['logins'];
}

export type AccountService = ReturnType<typeof createAccountService>;

/** A new account's first session, or why not. */
export type SignUpResult = { ok: true; issued: IssuedSession } | { ok: false; reason: 'EMAIL_TAKEN' } | RateLimited;

/** A session for a user of the app's own sign-in, or why not. */
export type IssueResult = { ok: true; issued: IssuedSession } | { ok: false; reason: 'EMAIL_TAKEN' };

/** A new session for the right password, or why not. */
export type LoginResult = { ok: true; issued: IssuedSession } | PasswordRefusal;

export function createAccountService({ db, clock, logger, sessions, throttle, signUpThrottle, events, revoker, outbox, logins }: AccountServiceDeps) {
  const checkPassword = createPasswordCheck({ db, clock, logger, throttle, events });
  /** The signed-in caller's password; an external user without an email has none to check, nor to guess. */
  const checkCallerPassword = (caller: Authenticated, password: string, origin: RequestOrigin): Promise<PasswordCheckResult> =>
    caller.user.email === null
      ? Promise.resolve({ ok: false, reason: 'INVALID_CREDENTIALS' })
      : checkPassword(caller.user.email, password, origin, caller.sessionId);

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
      const issued = await transaction(db, async (tx) => {
        const [user] = await tx
          .insert(users)
          .values({ email, passwordHash, createdAt: clock.now() })
          .onConflictDoNothing({ target: users.email })
          .returning(publicUserColumns);
        if (!user) return null;
        return sessions.createSession({ user, device: origin.device, origin, event: 'SIGNED_UP', dpopJkt: origin.dpopJkt }, tx);
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
      const issued = await sessions.createSession({ user: { id: user.id, email: user.email, externalId: user.externalId, createdAt: user.createdAt }, device: origin.device, origin, event: 'LOGGED_IN', dpopJkt: origin.dpopJkt });
      logins.inc({ outcome: 'success' });
      return { ok: true, issued };
    },

    /**
     * A session for a user the app signed in itself, asked for by its backend's key (`serviceKey`):
     * the user is created on the first session for `externalId`, and takes `email` when one is
     * given. EMAIL_TAKEN, with nothing written, when another account has that email.
     */
    async issueSession(externalId: string, email: string | null, origin: SignInOrigin, serviceKey: string): Promise<IssueResult> {
      try {
        const issued = await transaction(db, async (tx) => {
          // One statement, so that two first sessions at once make one user.
          const [user] = await tx
            .insert(users)
            .values({ externalId, email, createdAt: clock.now() })
            .onConflictDoUpdate({ target: users.externalId, set: { email: sql`COALESCE(excluded.email, ${users.email})` } })
            .returning(publicUserColumns);
          return sessions.createSession({ user: user!, device: origin.device, origin, event: 'LOGGED_IN', actorServiceKey: serviceKey, dpopJkt: origin.dpopJkt }, tx);
        });
        return { ok: true, issued };
      } catch (error) {
        if (isUniqueViolation(error, 'users_email_key')) return { ok: false, reason: 'EMAIL_TAKEN' };
        throw error;
      }
    },

    /** Sudo mode: the right password marks the caller's session fresh. Throttled like a login. */
    async reauthenticate(caller: Authenticated, password: string, origin: RequestOrigin): Promise<{ ok: true } | PasswordRefusal> {
      const checked = await checkCallerPassword(caller, password, origin);
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
      const checked = await checkCallerPassword(caller, currentPassword, origin);
      if (!checked.ok) return checked;
      const { user } = checked;
      const passwordHash = await hashPassword(newPassword);
      await transaction(db, async (tx) => {
        await tx.update(users).set({ passwordHash }).where(eq(users.id, user.id));
        await sessions.markFresh(caller.sessionId, tx);
        await events.record(tx, [{ userId: user.id, type: 'PASSWORD_CHANGED', sessionId: caller.sessionId, origin }]);
        await outbox.record(tx, [{ type: 'user.password_changed', userId: user.id, sessionId: null, at: clock.now(), initiatedBy: 'user', actorSessionId: caller.sessionId }]);
        if (!signOutOthers) return;
        const others = and(eq(sessionsTable.userId, user.id), ne(sessionsTable.id, caller.sessionId))!;
        await revoker.revoke({ where: others, reason: 'PASSWORD_CHANGED', actor: { sessionId: caller.sessionId, origin } }, tx);
      });
      return { ok: true };
    },
  };
}
