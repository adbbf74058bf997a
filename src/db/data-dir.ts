import { chmod, lstat, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Only the owner may read, write or enter: what Postgres itself requires of a data directory. */
const DIRECTORY_MODE = 0o700;
const FILE_MODE = 0o600;
const OWNER_ONLY_UMASK = 0o077;

/**
 * Makes PGlite's data directory its owner's alone, as a Postgres data directory is: 700 for it
 * and every directory inside, 600 for every file. Call it before PGlite opens and again once it
 * is open. The umask covers the directories PGlite creates later (Emscripten's NODEFS creates
 * them through Node, which applies it); it does not cover files, which Emscripten chmods to the
 * mode it was asked for: Postgres asks for 600, but the initial cluster PGlite unpacks into a new
 * directory comes out 666. The 700 directory is what keeps such files from other users between
 * two calls of this function.
 */
export async function restrictDataDir(dataDir: string): Promise<void> {
  process.umask(OWNER_ONLY_UMASK);
  await mkdir(dataDir, { recursive: true, mode: DIRECTORY_MODE });
  await restrictTree(dataDir);
}

async function restrictTree(path: string): Promise<void> {
  // A file PGlite removed meanwhile (a WAL segment recycled) needs nothing.
  const stats = await lstat(path).catch(ignoreMissing);
  if (!stats) return;
  // A symbolic link's own mode means nothing, and its target may lie outside the data directory.
  if (stats.isSymbolicLink()) return;
  if (stats.isDirectory()) {
    if ((stats.mode & 0o777) !== DIRECTORY_MODE) await chmod(path, DIRECTORY_MODE).catch(ignoreMissing);
    for (const entry of (await readdir(path).catch(ignoreMissing)) ?? []) await restrictTree(join(path, entry));
  } else if ((stats.mode & 0o777) !== FILE_MODE) {
    await chmod(path, FILE_MODE).catch(ignoreMissing);
  }
}

function ignoreMissing(error: NodeJS.ErrnoException): undefined {
  if (error.code === 'ENOENT') return undefined;
  throw error;
}
