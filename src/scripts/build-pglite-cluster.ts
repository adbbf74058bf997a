import { rename, rm } from 'node:fs/promises';
import { restrictDataDir } from '../db/data-dir.js';
import { clusterTemplateDir, createCluster } from '../db/pglite-cluster.js';

// Run by `npm run build` after tsc, from dist/. Made aside and renamed, so that an interrupted
// build leaves no half-made template for a new data directory to be copied from.
const partial = `${clusterTemplateDir}.partial`;
await rm(partial, { recursive: true, force: true });
await restrictDataDir(partial);
await createCluster(partial);
await restrictDataDir(partial);
await rm(clusterTemplateDir, { recursive: true, force: true });
await rename(partial, clusterTemplateDir);
console.log(`built the PGlite cluster template into ${clusterTemplateDir}`);
