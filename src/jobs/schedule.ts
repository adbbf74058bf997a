import type { Logger } from '../logger.js';

export interface ScheduledJob {
  /** Stops scheduling, and waits for a run in progress. */
  stop(): Promise<void>;
}

/**
 * Runs `task` every `seconds`, never two runs at once; a failure is logged and the next run
 * comes as usual. The timer does not keep the process alive.
 */
export function every(seconds: number, name: string, task: () => Promise<unknown>, logger: Logger): ScheduledJob {
  let isStopped = false;
  let running: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;

  const schedule = () => {
    if (isStopped) return;
    timer = setTimeout(() => {
      running = task().then(
        () => undefined,
        (error: unknown) => logger.error({ err: error, job: name }, 'scheduled job failed'),
      ).finally(schedule);
    }, seconds * 1000);
    timer.unref();
  };
  schedule();

  return {
    async stop() {
      isStopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
