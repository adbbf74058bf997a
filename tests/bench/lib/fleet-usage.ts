/** What each process of the fleet benchmark used over a window: CPU seconds, and the instances' memory. */
import { commandCpuSeconds } from './cpu-use.js';
import { cpuSeconds, residentKiB, sleep } from './harness.js';

const RSS_SAMPLE_MS = 250;

export interface InstanceUsage {
  rssBeforeKiB: number;
  /** The highest resident set size sampled in the window (every RSS_SAMPLE_MS). */
  rssPeakKiB: number;
  cpuSeconds: number;
}

export interface Usage {
  seconds: number;
  instances: InstanceUsage[];
  /** The client processes, added up. */
  workersCpuSeconds: number;
  /** This process: the storm's sender and the writer load. */
  benchCpuSeconds: number;
  /** Every postgres process on the machine: the fleet's backends, and anything else the machine runs on it. */
  postgresCpuSeconds: number;
  /** Every redis-server process on the machine. */
  redisCpuSeconds: number;
}

interface Reading {
  at: number;
  instances: number[];
  workers: number;
  bench: number;
  postgres: number;
  redis: number;
}

/** Starts reading now; `stop` ends the window and gives what each used in it. */
export async function watchUsage(instancePids: number[], workerPids: number[]): Promise<{ stop(): Promise<Usage> }> {
  const start = await read(instancePids, workerPids);
  const rssBefore = await Promise.all(instancePids.map(residentKiB));
  const rssPeak = [...rssBefore];
  let isWatching = true;
  const sampler = (async () => {
    while (isWatching) {
      await sleep(RSS_SAMPLE_MS);
      const rss = await Promise.all(instancePids.map(residentKiB));
      rss.forEach((kib, i) => { rssPeak[i] = Math.max(rssPeak[i]!, kib); });
    }
  })();
  return {
    async stop() {
      isWatching = false;
      await sampler;
      const end = await read(instancePids, workerPids);
      return {
        seconds: (end.at - start.at) / 1000,
        instances: instancePids.map((_, i) => ({ rssBeforeKiB: rssBefore[i]!, rssPeakKiB: rssPeak[i]!, cpuSeconds: end.instances[i]! - start.instances[i]! })),
        workersCpuSeconds: end.workers - start.workers,
        benchCpuSeconds: end.bench - start.bench,
        postgresCpuSeconds: end.postgres - start.postgres,
        redisCpuSeconds: end.redis - start.redis,
      };
    },
  };
}

async function read(instancePids: number[], workerPids: number[]): Promise<Reading> {
  const { user, system } = process.cpuUsage();
  const workers = await Promise.all(workerPids.map(cpuSeconds));
  return {
    at: performance.now(),
    instances: await Promise.all(instancePids.map(cpuSeconds)),
    workers: workers.reduce((sum, seconds) => sum + seconds, 0),
    bench: (user + system) / 1e6,
    postgres: await commandCpuSeconds('postgres'),
    redis: await commandCpuSeconds('redis-server'),
  };
}
