// Regression: a new PGlite data directory ran initdb inside the server, which left the idle
// process about 450 MiB larger (985 MB in all). Now the cluster is copied from a template made at
// build, or made in a child process.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCluster, ensurePgliteCluster, installedPgliteVersion, pgliteOptions, templateStampFile } from '../src/db/pglite-cluster.js';
import { testDriver } from './helpers/server.js';

/** Opens the cluster as the server does and reads a setting back. */
async function readSharedBuffers(dataDir: string): Promise<string> {
  const client = await PGlite.create({ ...pgliteOptions, dataDir });
  try {
    const { rows } = await client.query<{ value: string }>("SELECT current_setting('shared_buffers') AS value");
    return rows[0]!.value;
  } finally {
    await client.close();
  }
}

describe.skipIf(testDriver !== 'pglite')('a new PGlite data directory', () => {
  let parent: string;
  let template: string;
  const stampTemplate = (pglite: string) => writeFile(templateStampFile(template), JSON.stringify({ pglite, migrations: 'none' }));
  beforeAll(async () => {
    parent = await mkdtemp(join(tmpdir(), 'sessions-cluster-'));
    template = join(parent, 'template');
    await createCluster(template);
    await stampTemplate(await installedPgliteVersion());
  }, 60_000);
  afterAll(async () => { await rm(parent, { recursive: true, force: true }); });

  it('gets a copy of the template beside the files already there, which PGlite opens with 16 MB of shared buffers', async () => {
    const dataDir = join(parent, 'copied');
    await mkdir(dataDir);
    await writeFile(join(dataDir, 'auth-secret'), 'kept');
    await ensurePgliteCluster(dataDir, template);
    expect((await readdir(dataDir)).sort()).toEqual([...(await readdir(template)), 'auth-secret'].sort());
    expect(await readSharedBuffers(dataDir)).toBe('16MB');
  });

  it('finishes a copy that was cut short: without PG_VERSION a directory holds no cluster yet', async () => {
    const dataDir = join(parent, 'cut-short');
    await ensurePgliteCluster(dataDir, template);
    await rm(join(dataDir, 'PG_VERSION'));
    await rm(join(dataDir, 'global'), { recursive: true });
    await ensurePgliteCluster(dataDir, template);
    expect(existsSync(join(dataDir, 'global', 'pg_control'))).toBe(true);
    expect(await readSharedBuffers(dataDir)).toBe('16MB');
  });

  it('without a template (no build), gets its cluster from a child process, keeping files already there', async () => {
    const dataDir = join(parent, 'made');
    await mkdir(dataDir);
    await writeFile(join(dataDir, 'auth-secret'), 'kept');
    await ensurePgliteCluster(dataDir, join(parent, 'no-template'));
    expect(await readFile(join(dataDir, 'auth-secret'), 'utf8')).toBe('kept');
    expect(await readSharedBuffers(dataDir)).toBe('16MB');
  }, 60_000);

  it('is not copied from a template another version of PGlite made, which it might not open', async () => {
    const dataDir = join(parent, 'other-version');
    await writeFile(join(template, 'made-by-the-template'), '');
    await stampTemplate('0.0.1');
    try {
      await ensurePgliteCluster(dataDir, template);
    } finally {
      await stampTemplate(await installedPgliteVersion());
      await rm(join(template, 'made-by-the-template'));
    }
    expect(existsSync(join(dataDir, 'made-by-the-template'))).toBe(false);
    expect(await readSharedBuffers(dataDir)).toBe('16MB');
  }, 60_000);
});
