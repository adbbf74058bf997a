/** What each process of the fleet benchmark used over a window: CPU seconds, the instances' memory, and what Postgres waited on. */
import postgres from 'postgres';
import { commandCpuSeconds } from './cpu-use.js';
import { cpuSeconds, residentKiB, sleep } from './harness.js';

/** How often RSS and Postgres's wait events are read. */
const SAMPLE_MS = 250;

export interface InstanceUsage {
  rssBeforeKiB: number;
  /** The highest resident set size sampled in the window (every SAMPLE_MS). */
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
  /** The database's busy backends, sampled: how many on average, and what they waited on. */
  backends: BackendWaits;
}

export interface BackendWaits {
  meanActive: number;
  /** Each wait event (`Lock:object`, `IO:WALSync`…, `CPU` when none), by its share of the active backends seen. */
  shares: Array<{ event: string; share: number }>;
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
export async function watchUsage(instancePids: number[], workerPids: number[], databaseUrl: string): Promise<{ stop(): Promise<Usage> }> {
  const start = await read(instancePids, workerPids);
  const rssBefore = await Promise.all(instancePids.map(residentKiB));
  const rssPeak = [...rssBefore];
  const waits = new WaitSampler(databaseUrl);
  let isWatching = true;
  const sampler = (async () => {
    while (isWatching) {
      await sleep(SAMPLE_MS);
      const rss = await Promise.all(instancePids.map(residentKiB));
      rss.forEach((kib, i) => { rssPeak[i] = Math.max(rssPeak[i]!, kib); });
      await waits.sample();
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
        backends: await waits.close(),
      };
    },
  };
}

/** Reads what the database's active backends wait on, as pg_stat_activity shows it at each sample. */
class WaitSampler {
  private readonly sql;
  private readonly counts = new Map<string, number>();
  private samples = 0;

  constructor(databaseUrl: string) {
    this.sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  }

  async sample(): Promise<void> {
    const rows = await this.sql<Array<{ event: string; count: number }>>`
      SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') AS event, count(*)::int AS count
      FROM pg_stat_activity
      WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid() AND backend_type = 'client backend'
      GROUP BY 1`;
    this.samples++;
    for (const { event, count } of rows) this.counts.set(event, (this.counts.get(event) ?? 0) + count);
  }

  async close(): Promise<BackendWaits> {
    await this.sql.end();
    const total = [...this.counts.values()].reduce((sum, count) => sum + count, 0);
    const shares = [...this.counts].map(([event, count]) => ({ event, share: count / total })).sort((a, b) => b.share - a.share);
    return { meanActive: this.samples === 0 ? 0 : total / this.samples, shares };
  }
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
