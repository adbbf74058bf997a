// The background jobs' scheduler: runs on demand never overlap a scheduled one, nor each other.
import { describe, expect, it } from 'vitest';
import { every } from '../src/jobs/schedule.js';
import { createLogger } from '../src/logger.js';

const logger = createLogger({ logLevel: 'silent' });

describe('every', () => {
  it('runs on demand after the run in progress, one at a time, and not once stopped', async () => {
    let running = 0;
    let overlapped = false;
    const finished: number[] = [];
    let release!: () => void;
    const firstRun = new Promise<void>((resolve) => { release = resolve; });
    let runs = 0;
    const job = every(3600, 'test', async () => {
      const run = ++runs;
      overlapped ||= running > 0;
      running++;
      if (run === 1) await firstRun;
      running--;
      finished.push(run);
    }, logger);

    const first = job.runNow();
    const second = job.runNow();
    await Promise.resolve();
    expect(runs).toBe(1);
    release();
    await second;
    await first;
    expect(finished).toEqual([1, 2]);
    expect(overlapped).toBe(false);

    await job.stop();
    await job.runNow();
    expect(runs).toBe(2);
  });

  it('logs a failed run and goes on', async () => {
    let lines = '';
    const job = every(3600, 'failing', async () => { throw new Error('boom'); }, createLogger({ logLevel: 'error' }, { write: (line: string) => { lines += line; } }));
    await job.runNow();
    await job.stop();
    expect(JSON.parse(lines)).toMatchObject({ job: 'failing', msg: 'scheduled job failed', err: { message: 'boom' } });
  });
});
