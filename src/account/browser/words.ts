// What the page says: times, places, why a session ended, and each security event, in words.
import type { RevocationReason, Session } from '../../client/index.js';

const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
const UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [['year', 31_536_000], ['month', 2_592_000], ['week', 604_800], ['day', 86_400], ['hour', 3_600], ['minute', 60]];

/** "2 hours ago", "yesterday"; "just now" under a minute. */
export function ago(iso: string, now = Date.now()): string {
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return relative.format(Math.round(seconds / size), unit);
  }
  return 'just now';
}

/** "Active now" within two minutes (activity is written once a minute), else "Last active 2 hours ago". */
export function activity(session: Pick<Session, 'lastActiveAt' | 'isCurrent'>, now = Date.now()): string {
  if (session.isCurrent || now - new Date(session.lastActiveAt).getTime() < 120_000) return 'Active now';
  return `Last active ${ago(session.lastActiveAt, now)}`;
}

/** "Lagos, Nigeria", or the country alone, or null. */
export function place(session: Pick<Session, 'location'>): string | null {
  const { city, country } = session.location ?? {};
  return [city, country].filter(Boolean).join(', ') || null;
}

const REASONS: Record<RevocationReason, string> = {
  LOGOUT: 'you signed out',
  REVOKED: 'this device was signed out from another one',
  EXPIRED: 'the session expired',
  REFRESH_TOKEN_REUSE: 'a copied token was used, so the session was ended to be safe',
  PASSWORD_CHANGED: 'the password was changed',
  SESSION_LIMIT: 'too many devices were signed in',
};

export function reasonInWords(reason: RevocationReason): string {
  return REASONS[reason];
}

/** One security event as the list shows it. */
export interface SecurityEventNode {
  id: string;
  type: string;
  deviceName: string | null;
  ipAddress: string | null;
  isNewDevice: boolean | null;
  actorServiceKey: string | null;
  note: string | null;
  createdAt: string;
}

/** "Signed in on a new device: Safari on iPhone", "Password changed". */
export function eventInWords(event: SecurityEventNode): string {
  const device = event.deviceName ?? 'a device';
  const by = event.actorServiceKey ? ` by ${event.actorServiceKey}` : '';
  const words: Record<string, string> = {
    SIGNED_UP: `Account created on ${device}`,
    LOGGED_IN: event.isNewDevice ? `Signed in on a new device: ${device}` : `Signed in: ${device}`,
    LOGIN_FAILED: 'A wrong password was entered',
    LOGIN_THROTTLED: 'Password attempts paused after too many failures',
    LOGGED_OUT: `Signed out ${device}`,
    SESSION_REVOKED: `Signed out ${device}${by}`,
    SESSION_EXPIRED: `Session expired on ${device}`,
    REFRESH_TOKEN_REUSE: `A copied token was used: signed out ${device}`,
    PASSWORD_CHANGED: 'Password changed',
    REAUTHENTICATED: 'Password confirmed',
    SESSION_LIMIT_REACHED: `Signed out ${device}: too many devices`,
    SESSION_RENAMED: `Device renamed to ${device}`,
    BOUND_TOKEN_WITHOUT_PROOF: `A copy of ${device}'s sign-in was refused: it works only on that device`,
  };
  const text = words[event.type] ?? event.type;
  return event.note ? `${text} (${event.note})` : text;
}
