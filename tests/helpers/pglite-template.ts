import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import type { TestProject } from 'vitest/node';
import { DEFAULT_SCHEMA, migrationsFolder } from '../../src/db/client.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A tarball of a migrated PGlite data directory, for `startTestServer` to clone. */
    pgliteTemplate: string;
    /** The same cluster as a data directory, for server processes to start on a copy of. */
    pgliteTemplateDir: string;
  }
}

const TEMPLATE = Symbol.for('PGlite template written');

/**
 * Vitest global setup: creates and migrates one PGlite cluster, and writes it to a temporary
 * tarball that every PGlite test server starts from, and to a data directory that server
 * processes start on copies of. Creating a cluster takes seconds (about 9 on disk); starting from
 * a copy of one, under one.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Run for the root config and again for each project, all in this process: one template for all.
  const state = globalThis as { [TEMPLATE]?: Promise<Template> };
  state[TEMPLATE] ??= writeTemplate();
  const { dir, file, dataDir } = await state[TEMPLATE];
  project.provide('pgliteTemplate', file);
  project.provide('pgliteTemplateDir', dataDir);
  return () => rm(dir, { recursive: true, force: true });
}

interface Template {
  /** The temporary directory holding both. */
  dir: string;
  file: string;
  dataDir: string;
}

async function writeTemplate(): Promise<Template> {
  const dir = await mkdtemp(join(tmpdir(), 'pglite-template-'));
  const file = join(dir, 'migrated.tar');
  const dataDir = join(dir, 'data');
  const client = new PGlite();
  let tarball: Blob;
  try {
    // Laid out as the server lays out its own (src/db/client.ts): no move out of public to make per server.
    await client.exec(`CREATE SCHEMA ${DEFAULT_SCHEMA}; SET search_path TO ${DEFAULT_SCHEMA}`);
    await migrate(drizzle(client), { migrationsFolder, migrationsSchema: DEFAULT_SCHEMA });
    tarball = await client.dumpDataDir('none');
  } finally {
    await client.close();
  }
  await writeFile(file, Buffer.from(await tarball.arrayBuffer()));
  // PGlite unpacks a tarball into an empty directory it is given: much faster than initdb there.
  await new PGlite(dataDir, { loadDataDir: tarball }).close();
  return { dir, file, dataDir };
}
