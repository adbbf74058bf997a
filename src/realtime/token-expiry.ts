import type { Clock } from '../clock.js';

/** setTimeout's longest delay (2^31-1 ms, about 24.8 days): a longer one would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/**
 * The least wait before looking again when the timer has fired but the clock says the token is still
 * good (a clock set by hand, or one that drifted from the timer), so that case never spins.
 */
const MIN_RECHECK_MS = 100;

/**
 * Calls `onExpired` once, as soon as `clock` reaches `expiresAt` (at once if it already has). The
 * timer only wakes the check and the clock decides, so a timer that fires early never ends a token
 * too soon. The timer is unref'd: it keeps no process alive.
 * @returns a function that stops watching.
 */
export function watchExpiry(expiresAt: Date, clock: Clock, onExpired: () => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  const check = (): void => {
    const remainingMs = expiresAt.getTime() - clock.now().getTime();
    if (remainingMs <= 0) {
      onExpired();
      return;
    }
    timer = setTimeout(check, Math.min(Math.max(remainingMs, MIN_RECHECK_MS), MAX_TIMER_MS));
    timer.unref();
  };
  check();
  return () => clearTimeout(timer);
}
