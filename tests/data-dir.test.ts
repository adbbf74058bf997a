// Regression: with the default driver and umask 022, PGlite's files (emails, password hashes) were
// mode 666, writable by every user of the machine.
import { chmod, lstat, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUpUser } from './helpers/graphql.js';
import { startMain, type MainProcess } from './helpers/process.js';
import { testDriver } from './helpers/server.js';

/** Every path under `root` (itself included) whose mode is not 700 for a directory or 600 for a file. */
async function findLooseModes(root: string): Promise<string[]> {
  const loose: string[] = [];
  const visit = async (path: string) => {
    const stats = await lstat(path);
    if (stats.isSymbolicLink()) return;
    const mode = (stats.mode & 0o777).toString(8);
    if (stats.isDirectory()) {
      if (mode !== '700') loose.push(`${path} ${mode}`);
      for (const entry of await readdir(path)) await visit(join(path, entry));
    } else if (mode !== '600') {
      loose.push(`${path} ${mode}`);
    }
  };
  await visit(root);
  return loose;
}

// Postgres keeps its own files; only PGlite's data directory is this server's to protect.
describe.skipIf(testDriver !== 'pglite')('the PGlite data directory', () => {
  let parent: string;
  let dataDir: string;
  let server: MainProcess | undefined;
  let umask: number;
  beforeAll(async () => {
    // The umask most systems start processes with; the server process inherits it.
    umask = process.umask(0o022);
    parent = await mkdtemp(join(tmpdir(), 'sessions-modes-'));
    dataDir = join(parent, 'data');
    await mkdir(join(dataDir, 'left-over'), { recursive: true });
    await writeFile(join(dataDir, 'left-over', 'notes'), 'from an older version');
    await chmod(join(dataDir, 'left-over', 'notes'), 0o666);
    await chmod(join(dataDir, 'left-over'), 0o777);
    await chmod(dataDir, 0o755);
  });
  afterAll(async () => {
    await server?.stop();
    process.umask(umask);
    await rm(parent, { recursive: true, force: true });
  });

  it('is its owner\'s alone after start-up, after writes, and after shutdown: directories 700, files 600', async () => {
    server = await startMain({ DATA_DIR: dataDir });
    expect(await findLooseModes(dataDir)).toEqual([]);
    await signUpUser(server);
    await signUpUser(server);
    expect(await findLooseModes(dataDir)).toEqual([]);
    expect(await server.stop()).toBe(0);
    server = undefined;
    expect(await findLooseModes(dataDir)).toEqual([]);
  }, 90_000);
});
