import type { Logger } from '../logger.js';

export interface ScheduledJob {
  /**
   * Runs the task now, after the run in progress if there is one, and resolves once it is done;
   * a failure is logged, as a scheduled run's is. The schedule goes on as before. Nothing once stopped.
   */
  runNow(): Promise<void>;
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

  // Each run starts after the one before it has finished, whoever asked for it.
  const run = (): Promise<void> => {
    running = running.then(task).then(
      () => undefined,
      (error: unknown) => logger.error({ err: error, job: name }, 'scheduled job failed'),
    );
    return running;
  };
  const schedule = () => {
    if (isStopped) return;
    timer = setTimeout(() => void run().then(schedule), seconds * 1000);
    timer.unref();
  };
  schedule();

  return {
    runNow: () => (isStopped ? Promise.resolve() : run()),
    async stop() {
      isStopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
