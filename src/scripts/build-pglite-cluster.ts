import { createHash } from 'node:crypto';
import { readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { migrationsFolder, openDatabase } from '../db/client.js';
import { clusterTemplateDir, createCluster, installedPgliteVersion, readTemplateStamp, templateStampFile, type TemplateStamp } from '../db/pglite-cluster.js';

// Run by `npm run build` after tsc, from dist/; a template made from the same PGlite and
// migrations is kept, so a build that changed neither is quick. Made aside and renamed, and stamped last, so that an interrupted build leaves
// no half-made template for a new data directory to be copied from. The migrations are applied
// here too: on a new cluster they took a new server's memory about 40 MiB above an existing one's.
const stamp: TemplateStamp = { pglite: await installedPgliteVersion(), migrations: await digestMigrations() };
const previous = await readTemplateStamp();
if (previous?.pglite === stamp.pglite && previous.migrations === stamp.migrations) {
  console.log(`the PGlite cluster template in ${clusterTemplateDir} is up to date`);
} else {
  const partial = `${clusterTemplateDir}.partial`;
  await rm(partial, { recursive: true, force: true });
  await createCluster(partial);
  // The cluster is there, so this opens it as a server would: migrations applied, files made 600.
  const database = await openDatabase({ dataDir: partial });
  await database.close();
  await rm(templateStampFile(), { force: true });
  await rm(clusterTemplateDir, { recursive: true, force: true });
  await rename(partial, clusterTemplateDir);
  await writeFile(templateStampFile(), `${JSON.stringify(stamp, null, 2)}\n`);
  console.log(`built the PGlite cluster template, migrations applied, into ${clusterTemplateDir}`);
}

async function digestMigrations(): Promise<string> {
  const hash = createHash('sha256');
  const files = (await readdir(migrationsFolder, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile());
  for (const path of files.map((entry) => join(entry.parentPath, entry.name)).sort()) {
    hash.update(`${path.slice(migrationsFolder.length)}\0`).update(await readFile(path)).update('\0');
  }
  return hash.digest('hex');
}
