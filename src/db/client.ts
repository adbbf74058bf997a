import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { getTableName, is, sql } from 'drizzle-orm';
import { isPgEnum, PgTable } from 'drizzle-orm/pg-core';
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
  /** LISTENs on a channel: on Postgres over a dedicated connection, named `applicationName`, that reconnects by itself. */
  listen(channel: string, events: ListenerEvents, applicationName?: string): Promise<Listener>;
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
  /** The Postgres schema of every table and of the migrations journal (DATABASE_SCHEMA). @default 'session_server' */
  schema?: string;
}

export const migrationsFolder = fileURLToPath(new URL('../../drizzle', import.meta.url));
// Any fixed number: instances starting together take turns to migrate.
const MIGRATION_LOCK_KEY = 7_340_112_001;

/** Opens the database with the right driver and applies the committed migrations. */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  const tableSchema = options.schema ?? DEFAULT_SCHEMA;
  return options.url ? openPostgres(options.url, options.poolSize ?? 10, tableSchema) : openPglite(options.dataDir, options.loadDataDir, tableSchema);
}

export const DEFAULT_SCHEMA = 'session_server';

async function openPostgres(url: string, poolSize: number, tableSchema: string): Promise<Database> {
  // Every connection resolves the tables in the server's own schema, and creates them there.
  const options = { onnotice: () => {}, connection: { search_path: quoteIdentifier(tableSchema) } };
  const client = postgres(url, { ...options, max: poolSize });
  const db = drizzlePostgres(client, { schema });
  try {
    const lock = await client.reserve();
    try {
      await lock`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
      await prepareSchema(db, tableSchema);
      await migratePostgres(db, { migrationsFolder, migrationsSchema: tableSchema });
    } finally {
      await lock`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.catch(() => {});
      lock.release();
    }
  } catch (error) {
    await client.end({ timeout: 1 });
    throw error;
  }
  const checkClient = postgres(url, { ...options, max: 1 });
  return {
    db,
    sessionCheckDb: drizzlePostgres(checkClient, { schema }),
    driver: 'postgres',
    listen: (channel, events, applicationName) => listenOnPostgres(url, channel, events, applicationName),
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

async function openPglite(dataDir: string | undefined, loadDataDir: Blob | undefined, tableSchema: string): Promise<Database> {
  const heldLocks = new Set<number>();
  if (dataDir) await restrictDataDir(dataDir);
  if (dataDir) await ensurePgliteCluster(dataDir);
  const client = new PGlite({ ...pgliteOptions, dataDir, loadDataDir });
  // PGlite is one session: this holds for everything after it.
  await client.exec(`SET search_path TO ${quoteIdentifier(tableSchema)}`);
  const db = drizzlePglite(client, { schema });
  await prepareSchema(db, tableSchema);
  await migratePglite(db, { migrationsFolder, migrationsSchema: tableSchema });
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

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** This server's tables and enum types, by name: what a release before DATABASE_SCHEMA made in `public`. */
const TABLES = Object.values(schema).filter((value) => is(value, PgTable)).map((table) => getTableName(table as PgTable));
const TYPES = Object.values(schema).flatMap((value) => (isPgEnum(value) ? [value.enumName] : []));

/**
 * Creates the server's schema, and moves a previous release's tables into it: until DATABASE_SCHEMA
 * they sat in `public` and their journal in `drizzle.__drizzle_migrations`. Only when the schema
 * holds none of them yet and `public` holds this server's own (`rotated_refresh_tokens` is ours
 * alone); only the journal's rows of this server's migrations move, so an app of the same
 * database with a Drizzle journal of its own keeps it. Runs under the migration lock, in one
 * transaction: the move happens whole or not at all.
 */
async function prepareSchema(db: Db, tableSchema: string): Promise<void> {
  const target = sql.identifier(tableSchema);
  await db.transaction(async (tx) => {
    await tx.execute(sql`CREATE SCHEMA IF NOT EXISTS ${target}`);
    const [layout] = rowsOf<{ isPrevious: boolean }>(await tx.execute(sql`
      SELECT to_regclass('public.rotated_refresh_tokens') IS NOT NULL
        AND to_regclass('drizzle.__drizzle_migrations') IS NOT NULL
        AND to_regclass(${`${quoteIdentifier(tableSchema)}.sessions`}) IS NULL
        AND ${tableSchema} <> 'public' AS "isPrevious"`));
    if (!layout?.isPrevious) return;
    for (const table of TABLES) await tx.execute(sql`ALTER TABLE IF EXISTS public.${sql.identifier(table)} SET SCHEMA ${target}`);
    for (const type of TYPES) {
      const [found] = rowsOf<{ exists: boolean }>(await tx.execute(sql`SELECT to_regtype(${`public.${type}`}) IS NOT NULL AS "exists"`));
      if (found?.exists) await tx.execute(sql`ALTER TYPE public.${sql.identifier(type)} SET SCHEMA ${target}`);
    }
    const ours = readMigrationFiles({ migrationsFolder }).map((migration) => migration.folderMillis);
    await tx.execute(sql`CREATE TABLE IF NOT EXISTS ${target}.__drizzle_migrations (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)`);
    await tx.execute(sql`
      WITH moved AS (
        DELETE FROM drizzle.__drizzle_migrations
        WHERE created_at IN (SELECT value::bigint FROM jsonb_array_elements_text(${JSON.stringify(ours)}::jsonb))
        RETURNING hash, created_at)
      INSERT INTO ${target}.__drizzle_migrations (hash, created_at) SELECT hash, created_at FROM moved ORDER BY created_at`);
  });
}

/** The rows of `db.execute`: postgres.js returns them as an array, PGlite under `rows`. */
export function rowsOf<T>(result: unknown): T[] {
  return Array.isArray(result) ? (result as T[]) : (result as { rows: T[] }).rows;
}
