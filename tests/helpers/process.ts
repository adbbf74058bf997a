import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cp, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { busEnv } from './bus.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface MainProcess {
  url: string;
  child: ChildProcess;
  /** Everything it wrote so far, stdout and stderr. */
  output(): string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Runs `src/main.ts` (or another entry point) as `npm start` would, in its own process, with only the given environment. */
export function runMain(env: Record<string, string>, entry = 'src/main.ts'): { child: ChildProcess; output: () => string; errors: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let errors = '';
  child.stdout!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    errors += chunk.toString();
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { child, output: () => output, errors: () => errors, exited };
}

/** Starts the server process and waits for its "server started" line. */
export async function startMain(env: Record<string, string>): Promise<MainProcess> {
  // A second instance of a server on Postgres shares its bus.
  const run = runMain(env.DATABASE_URL ? { ...busEnv(), ...env } : env);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      // A server that did not start must not outlive the test.
      run.child.kill('SIGKILL');
      reject(new Error(`server did not start:\n${run.output()}`));
    }, 30_000);
    run.child.stdout!.on('data', () => {
      const started = run.output().split('\n').find((line) => line.includes('"server started"'));
      if (started) {
        clearTimeout(timer);
        resolve((JSON.parse(started) as { url: string }).url);
      }
    });
    void run.exited.then(() => { clearTimeout(timer); reject(new Error(`server exited:\n${run.output()}`)); });
  });
  return {
    url,
    child: run.child,
    output: run.output,
    stop: () => {
      run.child.kill('SIGTERM');
      return run.exited;
    },
  };
}

/**
 * A new data directory holding a copy of the migrated PGlite cluster the global setup made, for a
 * server process (`DATA_DIR`) that need not create one: that takes about 9 s on disk. Only a test
 * of a first start on an empty directory needs one of its own. The caller removes it.
 */
export async function migratedDataDir(): Promise<string> {
  const dataDir = await mkdtemp(join(tmpdir(), 'sessions-data-'));
  await cp(inject('pgliteTemplateDir'), dataDir, { recursive: true });
  return dataDir;
}
