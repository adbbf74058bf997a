import { isEmail } from 'class-validator';
import { eq } from 'drizzle-orm';
import type { Clock } from '../clock.js';
import type { Db } from '../db/client.js';
import { users } from '../db/schema.js';
import type { DeviceDetails } from '../devices/device-info.js';
import type { Logger } from '../logger.js';
import { hashPassword, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, verifyAgainstDummy, verifyPassword } from './passwords.js';
import type { IssuedSession, SessionService } from './session-service.js';

const EMAIL_MAX_LENGTH = 254;

/** Trims and lower-cases an email; null when it is not a plausible address. */
export function normalizeEmail(raw: string): string | null {
  const email = raw.trim().toLowerCase();
  return email.length <= EMAIL_MAX_LENGTH && isEmail(email) ? email : null;
}

/** What is wrong with a new password, or null. Length only: composition rules make passwords weaker (NIST 800-63B). */
export function describePasswordProblem(password: string): string | null {
  if (password.length < PASSWORD_MIN_LENGTH) return `Password must be at least ${PASSWORD_MIN_LENGTH} characters.`;
  if (password.length > PASSWORD_MAX_LENGTH) return `Password must be at most ${PASSWORD_MAX_LENGTH} characters.`;
  return null;
}

/** Where a sign-in comes from: the device and the server-side address. */
export interface SignInOrigin {
  device: DeviceDetails;
  ipAddress: string | null;
}

export interface AccountServiceDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  sessions: SessionService;
}

export type AccountService = ReturnType<typeof createAccountService>;

export function createAccountService({ db, clock, logger, sessions }: AccountServiceDeps) {
  return {
    /** Creates the account and its first session together; null when the email is taken. Inputs must be normalized. */
    async signUp(email: string, password: string, origin: SignInOrigin): Promise<IssuedSession | null> {
      const passwordHash = await hashPassword(password);
      const issued = await db.transaction(async (tx) => {
        const [user] = await tx
          .insert(users)
          .values({ email, passwordHash, createdAt: clock.now() })
          .onConflictDoNothing({ target: users.email })
          .returning({ id: users.id, email: users.email, createdAt: users.createdAt });
        if (!user) return null;
        return sessions.createSession(user, origin.device, origin.ipAddress, tx);
      });
      if (issued) logger.info({ event: 'user.signed_up', userId: issued.user.id }, 'account created');
      return issued;
    },

    /** A new session for the right password; null otherwise, after the same amount of work either way. */
    async login(email: string, password: string, origin: SignInOrigin): Promise<IssuedSession | null> {
      const [user] = await db.select().from(users).where(eq(users.email, email));
      const isValid = user ? await verifyPassword(user.passwordHash, password) : await verifyAgainstDummy(password);
      if (!user || !isValid) {
        logger.info({ event: 'login.failed', ipAddress: origin.ipAddress }, 'login failed');
        return null;
      }
      return sessions.createSession({ id: user.id, email: user.email, createdAt: user.createdAt }, origin.device, origin.ipAddress);
    },
  };
}
