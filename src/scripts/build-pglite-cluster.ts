import { rename, rm } from 'node:fs/promises';
import { openDatabase } from '../db/client.js';
import { clusterTemplateDir, createCluster } from '../db/pglite-cluster.js';

// Run by `npm run build` after tsc, from dist/. Made aside and renamed, so that an interrupted
// build leaves no half-made template for a new data directory to be copied from. The migrations
// are applied here too: on a new cluster they took a new server's memory up by another 40 MiB.
const partial = `${clusterTemplateDir}.partial`;
await rm(partial, { recursive: true, force: true });
await createCluster(partial);
// The cluster is there, so this opens it as a server would: migrations applied, files made 600.
const database = await openDatabase({ dataDir: partial });
await database.close();
await rm(clusterTemplateDir, { recursive: true, force: true });
await rename(partial, clusterTemplateDir);
console.log(`built the PGlite cluster template, migrations applied, into ${clusterTemplateDir}`);
