import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { copyFile, cp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';

/** PGlite takes a directory holding it for a cluster, to resume rather than create. */
const VERSION_FILE = 'PG_VERSION';

/**
 * The cluster `npm run build` makes (`src/scripts/build-pglite-cluster.ts`), migrations applied and
 * no rows, which a new data directory is copied from. The path is the same from `src/db` under tsx
 * and from `dist/db`.
 */
export const clusterTemplateDir = fileURLToPath(new URL('../../dist/pglite-cluster', import.meta.url));

/** What a template was made from, kept beside it as `<template>.json`. */
export interface TemplateStamp {
  /** The version of PGlite that made it: another version may not open it. */
  pglite: string;
  /** A digest of the migrations applied to it: the build remakes it when they change. */
  migrations: string;
}

/**
 * PGlite's options besides the data directory. Postgres's default 128 MB of shared buffers lives
 * in PGlite's WebAssembly memory, which never shrinks, and took an idle server's resident memory
 * up by about 140 MiB; 16 MB holds this server's working set (point lookups by key), and the
 * operating system caches the files beneath it.
 */
export const pgliteOptions: PGliteOptions = {
  startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'],
};

/**
 * Puts a new cluster into `dataDir` unless one is there, so that this process only ever opens an
 * existing cluster. PGlite creates one by running initdb in a second WebAssembly instance, which
 * left the server about 480 MiB larger until a full garbage collection that an idle server may
 * never run. The copy of the template made at build takes a fraction of a second; without a
 * build, the cluster is made in a short-lived child process, whose memory goes when it exits.
 */
export async function ensurePgliteCluster(dataDir: string, templateDir = clusterTemplateDir): Promise<void> {
  if (existsSync(join(dataDir, VERSION_FILE))) return;
  if (await isTemplateUsable(templateDir)) await copyTemplate(templateDir, dataDir);
  else await createClusterInChildProcess(dataDir);
}

export function templateStampFile(templateDir = clusterTemplateDir): string {
  return `${templateDir}.json`;
}

export async function readTemplateStamp(templateDir = clusterTemplateDir): Promise<TemplateStamp | null> {
  return readFile(templateStampFile(templateDir), 'utf8').then((text) => JSON.parse(text) as TemplateStamp, () => null);
}

export async function installedPgliteVersion(): Promise<string> {
  const packageJson = new URL('../package.json', import.meta.resolve('@electric-sql/pglite'));
  return (JSON.parse(await readFile(packageJson, 'utf8')) as { version: string }).version;
}

/** A template made by the installed PGlite; one from before an upgrade without a build is not. */
async function isTemplateUsable(templateDir: string): Promise<boolean> {
  if (!existsSync(join(templateDir, VERSION_FILE))) return false;
  return (await readTemplateStamp(templateDir))?.pglite === (await installedPgliteVersion());
}

/** Opens PGlite on an empty directory, which runs initdb there, and closes it. */
export async function createCluster(dataDir: string): Promise<void> {
  const client = await PGlite.create(dataDir);
  await client.close();
}

async function copyTemplate(templateDir: string, dataDir: string): Promise<void> {
  const versionFile = join(templateDir, VERSION_FILE);
  // The version file last, so that a copy cut short is not taken for a cluster and is redone.
  await cp(templateDir, dataDir, { recursive: true, filter: (source) => source !== versionFile });
  await copyFile(versionFile, join(dataDir, VERSION_FILE));
}

async function createClusterInChildProcess(dataDir: string): Promise<void> {
  // No TypeScript in the child: it needs no build and no loader.
  const script = 'const [, url, dataDir] = process.argv; const { PGlite } = await import(url); await (await PGlite.create(dataDir)).close();';
  const child = spawn(process.execPath, ['--input-type=module', '--eval', script, import.meta.resolve('@electric-sql/pglite'), dataDir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let errors = '';
  child.stderr.on('data', (chunk: Buffer) => { errors += chunk.toString(); });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`could not create a PGlite cluster in ${dataDir}: ${errors.trim() || `exit code ${code}`}`);
}
