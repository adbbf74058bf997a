/**
 * Start-up: the time from spawning the server process to `GET /readyz` answering 200, and the
 * process's resident memory once it has idled a moment, on PGlite with a new and with an existing
 * data directory and on Postgres with a new and with an existing database. Each is started as
 * `node dist/main.js` (built) and as `node --import tsx src/main.ts` (without a build). The server
 * runs as a development server (`NODE_ENV=development`), as `npm start` runs it by default.
 * Progress goes to stderr, the table to stdout.
 */
import type { ChildProcess } from 'node:child_process';
import { benchDrivers, log, machineLine, median, printTable, residentKiB, sleep, spawnServer, stopProcess, type DatabaseEnv, type ServerOptions, type WithDatabase } from './lib/harness.js';

const RUNS = 5;
const POLL_MS = 20;
const READY_TIMEOUT_MS = 60_000;
// Long enough for start-up's garbage to be collected and the first sweep to run, short enough to repeat.
const IDLE_MS = 2_000;
// The bars: ready within 2 s on Postgres and 5 s on PGlite; an idle PGlite server under 400 MB.
const READY_BAR_MS = { postgres: 2_000, pglite: 5_000 };
const RSS_BAR_MIB = 400e6 / 2 ** 20;

type Entry = 'built' | 'tsx';
const ENTRIES: Record<Entry, ServerOptions> = {
  built: { entry: ['dist/main.js'] },
  tsx: { entry: ['src/main.ts'], nodeArgs: ['--import', 'tsx'] },
};

interface Start {
  readyMs: number;
  idleMiB: number;
}

interface Scenario {
  name: string;
  driver: 'postgres' | 'pglite';
  /** Runs `measure` RUNS times, each on a database in the state the scenario names. */
  repeat(measure: (env: DatabaseEnv) => Promise<Start>): Promise<Start[]>;
}

async function main(): Promise<void> {
  console.log(machineLine());
  const rows: string[][] = [];
  for (const scenario of scenarios()) {
    for (const entry of Object.keys(ENTRIES) as Entry[]) {
      const starts = await scenario.repeat((env) => measureStart(env, entry));
      const readyMs = median(starts.map((start) => start.readyMs));
      const idleMiB = median(starts.map((start) => start.idleMiB));
      log(`${scenario.name}, ${entry}: ready ${starts.map((start) => start.readyMs.toFixed(0)).join(', ')} ms`);
      const isMet = readyMs <= READY_BAR_MS[scenario.driver] && (scenario.driver !== 'pglite' || idleMiB <= RSS_BAR_MIB);
      rows.push([
        scenario.name,
        entry,
        readyMs.toFixed(0),
        `${Math.min(...starts.map((start) => start.readyMs)).toFixed(0)}–${Math.max(...starts.map((start) => start.readyMs)).toFixed(0)}`,
        idleMiB.toFixed(0),
        isMet ? 'met' : 'not met',
      ]);
    }
  }
  console.log(`medians of ${RUNS} starts; idle RSS read ${IDLE_MS} ms after ready`);
  console.log(`bars: ready ≤ ${READY_BAR_MS.postgres} ms on Postgres, ≤ ${READY_BAR_MS.pglite} ms on PGlite; PGlite idle RSS ≤ 400 MB (${RSS_BAR_MIB.toFixed(0)} MiB)`);
  printTable(['scenario', 'entry', 'ready ms', 'range', 'idle RSS MiB', 'bars'], rows);
}

function scenarios(): Scenario[] {
  return benchDrivers().flatMap(({ driver, withDatabase }) => {
    const fresh = driver === 'pglite' ? 'PGlite, new data directory' : 'Postgres, new database';
    const existing = driver === 'pglite' ? 'PGlite, existing data directory' : 'Postgres, existing database';
    return [
      { name: fresh, driver, repeat: (measure) => repeatOnFreshDatabases(withDatabase, measure) },
      { name: existing, driver, repeat: (measure) => repeatOnOneDatabase(withDatabase, measure) },
    ];
  });
}

async function repeatOnFreshDatabases(withDatabase: WithDatabase, measure: (env: DatabaseEnv) => Promise<Start>): Promise<Start[]> {
  const starts: Start[] = [];
  for (let run = 0; run < RUNS; run++) starts.push(await withDatabase(measure));
  return starts;
}

/** The first, unmeasured start creates the database (cluster, migrations); the measured ones find it. */
async function repeatOnOneDatabase(withDatabase: WithDatabase, measure: (env: DatabaseEnv) => Promise<Start>): Promise<Start[]> {
  return withDatabase(async (env) => {
    await measure(env);
    const starts: Start[] = [];
    for (let run = 0; run < RUNS; run++) starts.push(await measure(env));
    return starts;
  });
}

async function measureStart(databaseEnv: DatabaseEnv, entry: Entry): Promise<Start> {
  const startedAt = performance.now();
  const { child, baseUrl } = await spawnServer({ NODE_ENV: 'development', ...databaseEnv }, ENTRIES[entry]);
  try {
    await waitUntilReady(`${baseUrl}/readyz`, child);
    const readyMs = performance.now() - startedAt;
    await sleep(IDLE_MS);
    return { readyMs, idleMiB: (await residentKiB(child.pid!)) / 1024 };
  } finally {
    await stopProcess(child);
  }
}

async function waitUntilReady(url: string, child: ChildProcess): Promise<void> {
  const deadline = performance.now() + READY_TIMEOUT_MS;
  while (performance.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`server exited during start-up (code ${child.exitCode})`);
    const status = await fetch(url).then(
      async (response) => {
        await response.arrayBuffer();
        return response.status;
      },
      // Not listening yet.
      () => 0,
    );
    if (status === 200) return;
    await sleep(POLL_MS);
  }
  throw new Error(`${url} did not answer 200 within ${READY_TIMEOUT_MS} ms`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
