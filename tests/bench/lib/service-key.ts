/** Service keys for the benchmarks that act as an app's backend: no password hashing on their path. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { DatabaseEnv } from './harness.js';

const keysScript = fileURLToPath(new URL('../../../dist/scripts/keys.js', import.meta.url));

/** A key with `scopes` (comma-separated), by the keys script, which also migrates a fresh database. */
export async function createServiceKey(env: DatabaseEnv, scopes: string): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [keysScript, 'create', '--name', 'bench', '--scopes', scopes], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
  });
  return stdout.trim();
}
