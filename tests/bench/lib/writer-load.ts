/**
 * Session writes at a fixed concurrency for a fixed time, by a service key: what a notification
 * bus costs the requests that publish to it. Every answer is checked; a failed one fails the run.
 */
import type { IssuedSession } from './fleet-plan.js';
import { issueMany, issueSession } from './fleet.js';
import { percentile } from './harness.js';
import { sendRevocation } from './storm.js';

/** Requests in flight, each sent as the previous one is answered (a closed loop). */
export const WRITE_CONCURRENCY = 16;
/** Each cell: this long of issueSession, then this long of revocations. */
export const WRITE_SECONDS = 5;
export const WARM_UP_WRITE_SECONDS = 2;
/** Idle listeners on the bus beside the writers, one cell each. */
export const IDLE_LISTENER_COUNTS = [0, 4, 16];
/** The writers' users each get this many sessions, fewer than the cap, so no issueSession ends another. */
const SESSIONS_PER_USER = 20;

export interface WriteStats {
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** The revocations ran out of sessions before the time was up. */
  isCutShort: boolean;
}

/** issueSession for `seconds`, for users named `${prefix}-n`; with the sessions it made. */
export async function measureIssues(url: string, key: string, seconds: number, prefix: string): Promise<{ stats: WriteStats; issued: IssuedSession[] }> {
  const issued: IssuedSession[] = [];
  let count = 0;
  const stats = await runClosedLoop(seconds, () => {
    const externalId = `${prefix}-${Math.floor(count++ / SESSIONS_PER_USER)}`;
    return async () => void issued.push(await issueSession(url, key, externalId));
  });
  return { stats, issued };
}

/**
 * Issues sessions, unmeasured and batched, until `pool` holds `count`: a revocation is about twice
 * as fast as an issueSession, so a revocation cell needs more sessions than its issue cell made.
 */
export async function topUp(url: string, key: string, pool: IssuedSession[], count: number, prefix: string): Promise<void> {
  const externalIds = Array.from({ length: Math.max(0, count - pool.length) }, (_, i) => `${prefix}-${Math.floor(i / SESSIONS_PER_USER)}`);
  pool.push(...(await issueMany([url], key, externalIds)));
}

/** revokeUserSessions of one session at a time for `seconds`, taking the sessions from `pool` (which it empties). */
export function measureRevokes(url: string, key: string, seconds: number, pool: IssuedSession[]): Promise<WriteStats> {
  return runClosedLoop(seconds, () => {
    const session = pool.pop();
    if (!session) return null;
    return async () => {
      const { problem } = await sendRevocation(url, key, { kind: 'one', userId: session.userId, sessionIds: [session.sessionId] });
      if (problem) throw new Error(`writer revocation of ${session.sessionId}: ${problem}`);
    };
  });
}

/** WRITE_CONCURRENCY loops, each sending `next()` until the time is up or `next` has nothing more. */
async function runClosedLoop(seconds: number, next: () => (() => Promise<void>) | null): Promise<WriteStats> {
  const latencies: number[] = [];
  const startedAt = performance.now();
  const deadline = startedAt + seconds * 1000;
  let isCutShort = false;
  const loop = async () => {
    while (performance.now() < deadline) {
      const call = next();
      if (!call) {
        isCutShort = true;
        return;
      }
      const sentAt = performance.now();
      await call();
      latencies.push(performance.now() - sentAt);
    }
  };
  await Promise.all(Array.from({ length: WRITE_CONCURRENCY }, loop));
  const elapsed = (performance.now() - startedAt) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    seconds: elapsed,
    requestsPerSecond: latencies.length / elapsed,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    isCutShort,
  };
}
