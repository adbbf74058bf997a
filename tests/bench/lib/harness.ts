/** Databases, server processes and small statistics shared by the benchmarks. */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';

const STARTUP_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const serverEntry = join(repoRoot, 'dist', 'main.js');

export type Driver = 'postgres' | 'pglite';
/** The variables that point the server at its database. */
export type DatabaseEnv = Record<string, string>;
export type WithDatabase = <T>(use: (env: DatabaseEnv) => Promise<T>) => Promise<T>;

/**
 * The drivers to measure, each with a way to get a fresh database: Postgres when
 * BENCH_DATABASE_URL or TEST_DATABASE_URL is set, PGlite always; BENCH_DRIVERS=postgres (or
 * pglite) keeps one.
 */
export function benchDrivers(): Array<{ driver: Driver; withDatabase: WithDatabase }> {
  if (!existsSync(serverEntry)) throw new Error(`${serverEntry} is missing: run \`npm run build\` first`);
  const wanted = (process.env.BENCH_DRIVERS ?? 'postgres,pglite').split(',');
  const adminUrl = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL;
  const drivers: Array<{ driver: Driver; withDatabase: WithDatabase }> = [];
  if (!wanted.includes('postgres')) log('postgres: skipped (BENCH_DRIVERS)');
  else if (adminUrl) drivers.push({ driver: 'postgres', withDatabase: (use) => withScratchPostgres(adminUrl, use) });
  else log('postgres: skipped (set BENCH_DATABASE_URL or TEST_DATABASE_URL)');
  if (wanted.includes('pglite')) drivers.push({ driver: 'pglite', withDatabase: withTemporaryDataDir });
  return drivers;
}

/**
 * A fresh Postgres database per call, for a benchmark that needs one shared by several processes
 * (PGlite cannot be): from BENCH_DATABASE_URL or TEST_DATABASE_URL, which must be set.
 */
export function scratchPostgres(): WithDatabase {
  if (!existsSync(serverEntry)) throw new Error(`${serverEntry} is missing: run \`npm run build\` first`);
  const adminUrl = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL;
  if (!adminUrl) throw new Error('set BENCH_DATABASE_URL or TEST_DATABASE_URL (e.g. postgres://root@127.0.0.1:5432/test): this benchmark runs on Postgres only');
  return (use) => withScratchPostgres(adminUrl, use);
}

async function withScratchPostgres<T>(adminUrl: string, use: (env: DatabaseEnv) => Promise<T>): Promise<T> {
  const name = `sessions_bench_${randomBytes(6).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`CREATE DATABASE ${name}`);
    try {
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      return await use({ DATABASE_URL: url.toString() });
    } finally {
      // FORCE: a server that failed to stop must not keep the database alive.
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  } finally {
    await admin.end();
  }
}

async function withTemporaryDataDir<T>(use: (env: DatabaseEnv) => Promise<T>): Promise<T> {
  const dataDir = await mkdtemp(join(os.tmpdir(), 'sessions-bench-'));
  try {
    return await use({ DATA_DIR: dataDir });
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** The running server, for what a benchmark reads from outside it (its memory). */
export interface ServerProcess {
  pid: number;
}

export interface ServerOptions {
  /** Node flags for this server only, after those of BENCH_SERVER_NODE_ARGS. */
  nodeArgs?: string[];
  /** The script and its arguments. @default the built server, `dist/main.js` */
  entry?: string[];
}

export async function withServer<T>(
  databaseEnv: DatabaseEnv,
  use: (url: string, server: ServerProcess) => Promise<T>,
  options: ServerOptions = {},
): Promise<T> {
  const { child, baseUrl } = await spawnServer(databaseEnv, options);
  try {
    const url = `${baseUrl}/graphql`;
    await waitUntilAnswering(url, child);
    // The server is node itself (no shell in between), so this pid is the process to measure.
    return await use(url, { pid: child.pid! });
  } finally {
    await stopProcess(child);
  }
}

/**
 * Starts the server process on a free port without waiting for it; the caller waits as it needs
 * to, and stops it with `stopProcess`.
 */
export async function spawnServer(databaseEnv: DatabaseEnv, { nodeArgs = [], entry = [serverEntry] }: ServerOptions = {}): Promise<{ child: ChildProcess; baseUrl: string }> {
  const port = await findFreePort();
  const child = spawn(process.execPath, [...serverNodeArgs(), ...nodeArgs, ...entry], {
    cwd: repoRoot,
    // Built from scratch, so a DATABASE_URL in the caller's environment cannot leak into the PGlite run.
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      HOST: '127.0.0.1',
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      AUTH_SECRET: randomBytes(32).toString('hex'),
      // The load generator signs its users up from one address.
      SIGN_UP_MAX_PER_IP: '1000000',
      ...databaseEnv,
    },
    // The server's logs go to stderr so that stdout stays the report.
    stdio: ['ignore', process.stderr, process.stderr],
  });
  return { child, baseUrl: `http://127.0.0.1:${port}` };
}

/** Extra node flags for the server, e.g. BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof". */
function serverNodeArgs(): string[] {
  return (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
}

export async function findFreePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const address = probe.address();
  probe.close();
  if (address === null || typeof address === 'string') throw new Error('could not find a free port');
  return address.port;
}

/** Resolves once the server answers a GraphQL request; throws if it exits first or takes too long. */
export async function waitUntilAnswering(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`server exited during start-up (code ${child.exitCode}, signal ${child.signalCode})`);
    }
    try {
      if ((await postGraphQL(url, { query: '{ __typename }' })).status === 200) return;
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  throw new Error(`server did not answer within ${STARTUP_TIMEOUT_MS} ms`);
}

/** SIGTERM lets the server shut down cleanly (and write a CPU profile when asked); SIGKILL if it hangs. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/** CPU time a process has used, every thread of it, in seconds (Linux `/proc/<pid>/stat`, 100 ticks a second). */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // The fields after the command name, which is in parentheses and may hold spaces: utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** A process's resident set size in KiB, from Linux's `/proc/<pid>/status`. */
export async function residentKiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]);
}

export async function postGraphQL(url: string, body: string | object, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const response = await fetch(url, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: response.status, text: await response.text() };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function log(message: string): void {
  console.error(`[bench] ${message}`);
}

/** A plain-text table: the first column left-aligned, the others right-aligned. */
export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  console.log(line(header));
  for (const row of rows) console.log(line(row));
}

export function machineLine(): string {
  const cpus = os.cpus();
  return `machine: ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, node ${process.version}`;
}
