import type { SQL } from 'drizzle-orm';
import postgres from 'postgres';
import { rowsOf, type Database } from '../../src/db/client.js';

/** Runs raw SQL for assertions; the two drivers return rows in different shapes. */
export async function queryRows<T = Record<string, unknown>>(database: Database, query: SQL): Promise<T[]> {
  return rowsOf<T>(await database.db.execute(query));
}

/**
 * Simulates an outage of a test server's Postgres database: no new connections are allowed, and
 * existing ones (all, or those of one `application_name`) are ended. Postgres only.
 */
export function databaseOutage(databaseUrl: string) {
  const name = new URL(databaseUrl).pathname.slice(1);
  const admin = postgres(process.env.TEST_DATABASE_URL!, { max: 1, onnotice: () => {} });
  return {
    /** Starts the outage; resolves with how many connections were ended. */
    async begin(applicationName?: string): Promise<number> {
      await admin.unsafe(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
      const ended = await admin`
        SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = ${name} AND (${applicationName ?? null}::text IS NULL OR application_name = ${applicationName ?? null})`;
      return ended.length;
    },
    async end(): Promise<void> {
      await admin.unsafe(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
    },
    /** Ends any outage and the admin connection; for afterAll. */
    async dispose(): Promise<void> {
      await this.end().catch(() => {});
      await admin.end();
    },
  };
}
