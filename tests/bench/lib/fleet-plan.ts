/**
 * Who holds the sockets of the fleet benchmark, and what its revocation storms send. Drawn from a
 * generator with a fixed seed, so every run and every bus gets the same users and the same storm.
 */

/** A user to issue sessions for: most have a few devices, some very many. */
export interface PlannedUser {
  externalId: string;
  sessionCount: number;
  hasManyDevices: boolean;
}

export interface IssuedSession {
  userId: string;
  sessionId: string;
  accessToken: string;
}

export interface IssuedUser {
  plan: PlannedUser;
  userId: string;
  sessions: IssuedSession[];
}

/** One `revokeUserSessions` call, and what it must end. */
export interface Revocation {
  /** One session (`sessionIds`), or every live session of the user (no condition). */
  kind: 'one' | 'all';
  userId: string;
  /** The sessions it ends: its answer must be their count, and each of their sockets must get its event. */
  sessionIds: string[];
}

/** Of the sockets, this share belongs to users with MANY_DEVICES sessions each. */
export const MANY_DEVICE_SHARE = 0.15;
export const MANY_DEVICES = { min: 100, max: 500 };
export const FEW_DEVICES = { min: 1, max: 5 };
/** Of a storm's requests, this share ends every session of a user; the rest end one session each. */
export const REVOKE_ALL_SHARE = 0.05;
const SEED = 0x5eed;

export type Random = () => number;

/** mulberry32: small, fast and good enough to shuffle with. */
export function seededRandom(seed = SEED): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Users whose sessions add up to `sockets` exactly, external ids prefixed with `prefix`. */
export function planUsers(sockets: number, prefix: string, random: Random): PlannedUser[] {
  const users: PlannedUser[] = [];
  const add = (sessionCount: number, hasManyDevices: boolean) => users.push({ externalId: `${prefix}-${users.length}`, sessionCount, hasManyDevices });
  let manyLeft = Math.round(sockets * MANY_DEVICE_SHARE);
  // Below MANY_DEVICES.min sockets for them, there is no such user.
  while (manyLeft >= MANY_DEVICES.min) {
    const count = Math.min(manyLeft, between(MANY_DEVICES.min, MANY_DEVICES.max, random));
    add(count, true);
    manyLeft -= count;
  }
  let fewLeft = sockets - users.reduce((sum, user) => sum + user.sessionCount, 0);
  while (fewLeft > 0) {
    const count = Math.min(fewLeft, between(FEW_DEVICES.min, FEW_DEVICES.max, random));
    add(count, false);
    fewLeft -= count;
  }
  return users;
}

/**
 * The main storm of `mainCount` requests, REVOKE_ALL_SHARE of them ending a whole user (every
 * user with many devices among them), the rest one session each, in random order; and a second
 * storm of `secondCount` single revocations. No session is the target of two requests, and no
 * user of a revoke-all loses a session otherwise, so every answer's count is known in advance.
 */
export function planStorms(users: IssuedUser[], mainCount: number, secondCount: number, random: Random): { main: Revocation[]; second: Revocation[] } {
  const many = users.filter((user) => user.plan.hasManyDevices);
  const few = shuffle(users.filter((user) => !user.plan.hasManyDevices), random);
  const fewAllCount = Math.max(0, Math.round(mainCount * REVOKE_ALL_SHARE) - many.length);
  const revokedWhole = [...many, ...few.slice(0, fewAllCount)];
  const singles = shuffle(few.slice(fewAllCount).flatMap((user) => user.sessions), random);
  const mainSingleCount = mainCount - revokedWhole.length;
  if (mainSingleCount < 0 || singles.length < mainSingleCount + secondCount) {
    const sockets = users.reduce((sum, user) => sum + user.sessions.length, 0);
    throw new Error(`${sockets} sockets are too few for storms of ${mainCount} and ${secondCount} revocations: raise BENCH_SCALE_SOCKETS or lower BENCH_SCALE_RATE or BENCH_SCALE_SECONDS`);
  }
  const one = (session: IssuedSession): Revocation => ({ kind: 'one', userId: session.userId, sessionIds: [session.sessionId] });
  const all = (user: IssuedUser): Revocation => ({ kind: 'all', userId: user.userId, sessionIds: user.sessions.map((session) => session.sessionId) });
  const main = shuffle([...revokedWhole.map(all), ...singles.slice(0, mainSingleCount).map(one)], random);
  const second = singles.slice(mainSingleCount, mainSingleCount + secondCount).map(one);
  return { main, second };
}

function between(min: number, max: number, random: Random): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** Fisher-Yates, on a copy. */
function shuffle<T>(items: T[], random: Random): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}
