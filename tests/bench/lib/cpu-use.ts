import { readdir, readFile } from 'node:fs/promises';
import { cpuSeconds, type Driver } from './harness.js';

export interface CpuUse {
  server: number;
  /** Every postgres process; null for PGlite, which runs inside the server. */
  postgres: number | null;
  bench: number;
}

/** CPU seconds used so far, read at `at`. */
export interface CpuSample extends CpuUse {
  at: number;
}

export function cpuBetween(start: CpuSample, end: CpuSample): CpuUse {
  const percent = (used: number) => (used / ((end.at - start.at) / 1000)) * 100;
  return {
    server: percent(end.server - start.server),
    postgres: end.postgres === null || start.postgres === null ? null : percent(end.postgres - start.postgres),
    bench: percent(end.bench - start.bench),
  };
}

export async function readCpu(driver: Driver, serverPid: number): Promise<CpuSample> {
  const { user, system } = process.cpuUsage();
  const sample = {
    server: await cpuSeconds(serverPid),
    postgres: driver === 'postgres' ? await postgresCpuSeconds() : null,
    bench: (user + system) / 1e6,
  };
  return { ...sample, at: performance.now() };
}

/** The command name of each process seen, by pid: read once, since a sample is taken every CPU_SAMPLE_MS. */
const commandOf = new Map<string, string>();

/** Every `postgres` process on the machine: the server is local, and its backends are children of one postmaster. */
function postgresCpuSeconds(): Promise<number> {
  return commandCpuSeconds('postgres');
}

/** CPU seconds used so far by every process on the machine whose command name (`/proc/<pid>/comm`) is `command`. */
export async function commandCpuSeconds(command: string): Promise<number> {
  let total = 0;
  for (const pid of (await readdir('/proc')).filter((name) => /^\d+$/.test(name))) {
    try {
      if (!commandOf.has(pid)) commandOf.set(pid, (await readFile(`/proc/${pid}/comm`, 'utf8')).trim());
      if (commandOf.get(pid) === command) total += await cpuSeconds(Number(pid));
    } catch {
      // Exited while being read.
    }
  }
  return total;
}
