/**
 * A revocation storm: `revokeUserSessions` calls by a service key, sent on a fixed schedule
 * whatever the pace of the answers (an open loop, as independent backends would send them), to
 * the instances in turn; then each revoked session's socket checked for its event and close.
 */
import type { ClientWorkers, SocketOutcome } from './client-workers.js';
import type { Revocation } from './fleet-plan.js';
import { sleep } from './harness.js';
import { postJson } from './http-client.js';
import { dataOf } from './sessions.js';

const REVOKE = 'mutation($where: UserSessionsWhere!, $reason: String) { revokeUserSessions(where: $where, reason: $reason) }';
const REASON = 'fleet benchmark storm';
/** How long after its storm's last answer a revoked session's socket may take to get its event and close. */
export const DELIVERY_TIMEOUT_MS = 15_000;
/** The close a socket gets once its session's event is written (close-codes.ts). */
const UNAUTHORIZED_CLOSE_CODE = 4401;

/** Wall-clock ms, comparable across the processes of one machine (see the report's method). */
export function wallClock(): number {
  return performance.timeOrigin + performance.now();
}

export interface SentRevocation {
  revocation: Revocation;
  /** How late it went out, in ms after its slot in the schedule. */
  lagMs: number;
  sentAt: number;
  /** Null when the call failed. */
  respondedAt: number | null;
  /** An error, or a count other than the sessions it had to end. */
  problem: string | null;
  ended: number;
}

/** Sends `plan[i]` at `i / rate` seconds from now, to instance `i mod N`; resolves with every answer. */
export async function runStorm(urls: string[], key: string, plan: Revocation[], rate: number): Promise<SentRevocation[]> {
  const intervalMs = 1000 / rate;
  const startedAt = performance.now();
  const sent: Array<Promise<SentRevocation>> = [];
  for (const [i, revocation] of plan.entries()) {
    const slot = startedAt + i * intervalMs;
    const wait = slot - performance.now();
    if (wait > 0) await sleep(wait);
    sent.push(sendRevocation(urls[i % urls.length]!, key, revocation, performance.now() - slot));
  }
  return Promise.all(sent);
}

/** One `revokeUserSessions` call; never throws: a failure is its `problem`. */
export async function sendRevocation(url: string, key: string, revocation: Revocation, lagMs = 0): Promise<SentRevocation> {
  const { kind, userId, sessionIds } = revocation;
  const where = kind === 'one' ? { userId, sessionIds } : { userId };
  const sentAt = wallClock();
  try {
    const response = await postJson(url, { query: REVOKE, variables: { where, reason: REASON } }, { authorization: `Bearer ${key}` });
    const respondedAt = wallClock();
    const ended = dataOf<{ revokeUserSessions: number }>(response).revokeUserSessions;
    const problem = ended === sessionIds.length ? null : `revokeUserSessions ended ${ended} sessions of ${userId}, expected ${sessionIds.length}`;
    return { revocation, lagMs, sentAt, respondedAt, problem, ended };
  } catch (error) {
    return { revocation, lagMs, sentAt, respondedAt: null, problem: (error as Error).message, ended: 0 };
  }
}

export interface Deliveries {
  /** Sessions the answers said were ended. */
  revoked: number;
  /** Sessions the plan ended. */
  expected: number;
  /** Sockets that got their own session's event, then were closed with 4401. */
  closedRight: number;
  /** Sessions of answered calls whose socket did not get its event and close in time, or got a wrong one. */
  missed: number;
  /** Calls that failed or answered a wrong count: their sessions may or may not have ended. */
  failedCalls: number;
  /** ms from the revoking response, and from its request, to each event. */
  fromResponse: number[];
  fromRequest: number[];
  /** Every revoked session whose socket did not get its event and close in time, and why; and every failed call. */
  failures: string[];
}

/** Waits (at most `timeoutMs`) for the socket of every session the storm ended, and checks each. */
export async function checkDeliveries(sent: SentRevocation[], workers: ClientWorkers, timeoutMs: number): Promise<Deliveries> {
  const sessionIds = sent.flatMap(({ revocation }) => revocation.sessionIds);
  await workers.waitForOutcomes(sessionIds, timeoutMs);
  const result: Deliveries = { revoked: 0, expected: sessionIds.length, closedRight: 0, missed: 0, failedCalls: 0, fromResponse: [], fromRequest: [], failures: [] };
  for (const { revocation, sentAt, respondedAt, problem, ended } of sent) {
    result.revoked += ended;
    if (problem) {
      result.failedCalls++;
      result.failures.push(`${revocation.kind} of ${revocation.userId}: ${problem}`);
    }
    for (const sessionId of revocation.sessionIds) {
      const outcome = workers.outcomes.get(sessionId);
      const wrong = problemOf(outcome, timeoutMs);
      if (wrong !== null || outcome?.eventAt == null) {
        if (!problem) result.missed++;
        result.failures.push(`session ${sessionId}: ${wrong}`);
        continue;
      }
      result.closedRight++;
      result.fromRequest.push(outcome.eventAt - sentAt);
      if (respondedAt !== null) result.fromResponse.push(outcome.eventAt - respondedAt);
    }
  }
  return result;
}

/** What is wrong with the socket of a revoked session; null when it got its own event, then 4401. */
function problemOf(outcome: SocketOutcome | undefined, timeoutMs: number): string | null {
  if (!outcome) return `no event and no close within ${timeoutMs} ms`;
  if (outcome.problem !== null) return `${outcome.problem}, closed with ${outcome.closeCode}`;
  if (outcome.closeCode !== UNAUTHORIZED_CLOSE_CODE) return `closed with ${outcome.closeCode} after its event`;
  return null;
}
