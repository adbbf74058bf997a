import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import type { TestProject } from 'vitest/node';
import { migrationsFolder } from '../../src/db/client.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A tarball of a migrated PGlite data directory, for `startTestServer` to clone. */
    pgliteTemplate: string;
  }
}

const TEMPLATE = Symbol.for('PGlite template written');

/**
 * Vitest global setup: creates and migrates one PGlite cluster, and writes it to a temporary
 * file that every PGlite test server starts from. Creating a cluster takes seconds; starting
 * from a copy of one, under one.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Run for the root config and again for each project, all in this process: one template for all.
  const state = globalThis as { [TEMPLATE]?: Promise<{ dir: string; file: string }> };
  state[TEMPLATE] ??= writeTemplate();
  const { dir, file } = await state[TEMPLATE];
  project.provide('pgliteTemplate', file);
  return () => rm(dir, { recursive: true, force: true });
}

async function writeTemplate(): Promise<{ dir: string; file: string }> {
  const client = new PGlite();
  try {
    await migrate(drizzle(client), { migrationsFolder });
    const dir = await mkdtemp(join(tmpdir(), 'pglite-template-'));
    const file = join(dir, 'migrated.tar');
    await writeFile(file, Buffer.from(await (await client.dumpDataDir('none')).arrayBuffer()));
    return { dir, file };
  } finally {
    await client.close();
  }
}
