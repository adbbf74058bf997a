import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { restrictDataDir } from './data-dir.js';
import { listenOnPglite, listenOnPostgres, type Listener, type ListenerEvents } from './listener.js';
import { ensurePgliteCluster, pgliteOptions } from './pglite-cluster.js';
import * as schema from './schema.js';

/** The Drizzle handle both drivers share: services never know which one they talk to. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface Database {
  db: Db;
  /**
   * The handle for the per-request session check. On Postgres it is one dedicated connection:
   * postgres.js pipelines the concurrent point lookups on it, several to a socket write, which
   * costs far less CPU per request than spreading them over the pool, and no slow query elsewhere
   * can hold them up. On PGlite it is `db`.
   */
  sessionCheckDb: Db;
  driver: 'postgres' | 'pglite';
  /**
   * Runs `task` unless another holder of `key` (on any instance) is running one: a session-level
   * advisory lock on Postgres, a flag on PGlite, which only one process can open. Null when skipped.
   */
  tryWithLock<T>(key: number, task: () => Promise<T>): Promise<T | null>;
  /** LISTENs on a channel: on Postgres over a dedicated connection that reconnects by itself. */
  listen(channel: string, events: ListenerEvents): Promise<Listener>;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** A Postgres connection string; without it the embedded PGlite is used. */
  url?: string;
  /** PGlite's data directory; without it PGlite keeps everything in memory. */
  dataDir?: string;
  /**
   * PGlite in memory: a data directory to start from, as `PGlite.dumpDataDir()` wrote it, instead
   * of creating a cluster (seconds of work). Tests clone one migrated cluster this way.
   */
  loadDataDir?: Blob;
  /** Largest Postgres pool. @default 10 */
  poolSize?: number;
}

export const migrationsFolder = fileURLToPath(new URL('../../drizzle', import.meta.url));
// Any fixed number: instances starting together take turns to migrate.
const MIGRATION_LOCK_KEY = 7_340_112_001;

/** Opens the database with the right driver and applies the committed migrations. */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  return options.url ? openPostgres(options.url, options.poolSize ?? 10) : openPglite(options.dataDir, options.loadDataDir);
}

async function openPostgres(url: string, poolSize: number): Promise<Database> {
  const client = postgres(url, { max: poolSize, onnotice: () => {} });
  const db = drizzlePostgres(client, { schema });
  try {
    const lock = await client.reserve();
    try {
      await lock`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
      await migratePostgres(db, { migrationsFolder });
    } finally {
      await lock`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.catch(() => {});
      lock.release();
    }
  } catch (error) {
    await client.end({ timeout: 1 });
    throw error;
  }
  const checkClient = postgres(url, { max: 1, onnotice: () => {} });
  return {
    db,
    sessionCheckDb: drizzlePostgres(checkClient, { schema }),
    driver: 'postgres',
    listen: (channel, events) => listenOnPostgres(url, channel, events),
    async tryWithLock(key, task) {
      // A session-level lock lives on one connection, so hold one for the whole task.
      const connection = await client.reserve();
      try {
        const [row] = await connection<{ locked: boolean }[]>`SELECT pg_try_advisory_lock(${key}) AS locked`;
        if (!row?.locked) return null;
        try {
          return await task();
        } finally {
          await connection`SELECT pg_advisory_unlock(${key})`;
        }
      } finally {
        connection.release();
      }
    },
    close: async () => {
      await Promise.all([client.end({ timeout: 5 }), checkClient.end({ timeout: 5 })]);
    },
  };
}

async function openPglite(dataDir: string | undefined, loadDataDir: Blob | undefined): Promise<Database> {
  const heldLocks = new Set<number>();
  if (dataDir) await restrictDataDir(dataDir);
  if (dataDir) await ensurePgliteCluster(dataDir);
  const client = new PGlite({ ...pgliteOptions, dataDir, loadDataDir });
  const db = drizzlePglite(client, { schema });
  await migratePglite(db, { migrationsFolder });
  // Again: a cluster PGlite made (in the child process, without a build) comes out 666.
  if (dataDir) await restrictDataDir(dataDir);
  return {
    db,
    sessionCheckDb: db,
    driver: 'pglite',
    listen: (channel, events) => listenOnPglite(client, channel, events),
    async tryWithLock(key, task) {
      if (heldLocks.has(key)) return null;
      heldLocks.add(key);
      try {
        return await task();
      } finally {
        heldLocks.delete(key);
      }
    },
    close: () => client.close(),
  };
}
