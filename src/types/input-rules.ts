/**
 * class-validator rules of this server's own, for the fields of `*.input.ts` and `*.args.ts`: every
 * bound of an argument is a decorator there, so that one request's bad fields are all found, and
 * reported in one BAD_USER_INPUT, before a resolver runs. Messages start with `$property`, which
 * schema.ts turns into the field's path (`input.password must be …`).
 */
import { ValidateBy } from 'class-validator';
import { normalizeEmail } from '../auth/account-service.js';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../auth/passwords.js';
import { decodeCursor } from '../auth/security-events.js';
import { decodeSessionCursor } from '../auth/user-admin.js';
import { decodeDeliveryCursor } from '../events/webhook-endpoints.js';
import { isWellFormedText } from '../text-input.js';

/** An address an account can have: what `normalizeEmail` accepts (trimmed, lower-cased, NFC, valid, at most 254 characters). */
export function IsAccountEmail(): PropertyDecorator {
  return ValidateBy({
    name: 'isAccountEmail',
    validator: {
      // validator's isEmail throws on an unpaired surrogate; such text is reported as malformed instead.
      validate: (value) => typeof value === 'string' && isWellFormedText(value) && normalizeEmail(value) !== null,
      defaultMessage: () => '$property must be a valid email address of at most 254 characters',
    },
  });
}

/** A password to set. Length only: composition rules make passwords weaker (NIST 800-63B). */
export function IsNewPassword(): PropertyDecorator {
  return ValidateBy({
    name: 'isNewPassword',
    validator: {
      validate: (value) => typeof value === 'string' && value.length >= PASSWORD_MIN_LENGTH && value.length <= PASSWORD_MAX_LENGTH,
      defaultMessage: () => `$property must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters`,
    },
  });
}

/** A password to check against the stored one: anything from 1 character up to the longest one could have set. */
export function IsPasswordToCheck(): PropertyDecorator {
  return ValidateBy({
    name: 'isPasswordToCheck',
    validator: {
      validate: (value) => typeof value === 'string' && value.length >= 1 && value.length <= PASSWORD_MAX_LENGTH,
      defaultMessage: () => `$property must be 1 to ${PASSWORD_MAX_LENGTH} characters`,
    },
  });
}

/** A `userSessions` cursor this server gave out; an empty string, as ever, counts as none. */
export function IsSessionCursor(): PropertyDecorator {
  return ValidateBy({
    name: 'isSessionCursor',
    validator: {
      validate: (value) => value === '' || (typeof value === 'string' && decodeSessionCursor(value) !== null),
      defaultMessage: () => '$property is not a cursor this server gave out',
    },
  });
}

/** A `mySecurityEvents` cursor this server gave out; an empty string, as ever, counts as none. */
export function IsSecurityEventCursor(): PropertyDecorator {
  return ValidateBy({
    name: 'isSecurityEventCursor',
    validator: {
      validate: (value) => value === '' || (typeof value === 'string' && decodeCursor(value) !== null),
      defaultMessage: () => '$property is not a cursor this server gave out',
    },
  });
}

/** A `webhookDeliveries` cursor this server gave out; an empty string counts as none. */
export function IsDeliveryCursor(): PropertyDecorator {
  return ValidateBy({
    name: 'isDeliveryCursor',
    validator: {
      validate: (value) => value === '' || (typeof value === 'string' && decodeDeliveryCursor(value) !== null),
      defaultMessage: () => '$property is not a cursor this server gave out',
    },
  });
}
