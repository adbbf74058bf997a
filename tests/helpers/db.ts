import type { SQL } from 'drizzle-orm';
import type { Database } from '../../src/db/client.js';

/** Runs raw SQL for assertions; the two drivers return rows in different shapes. */
export async function queryRows<T = Record<string, unknown>>(database: Database, query: SQL): Promise<T[]> {
  const result = (await database.db.execute(query)) as unknown as T[] | { rows: T[] };
  return Array.isArray(result) ? result : result.rows;
}
