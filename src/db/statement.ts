import { sql, type SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { rowsOf, type Db } from './client.js';

/** One named part of a statement's `WITH` clause. */
export interface StatementPart {
  name: string;
  query: SQL;
  /**
   * A SELECT run for what it does (`pg_notify`), not for its rows: Postgres runs a SELECT in
   * `WITH` only as far as the main query reads it, so the statement reads it whole.
   */
  isSideEffect?: boolean;
}

/**
 * `WITH part AS (…), … SELECT <columns> FROM <from>`: several changes in one statement, so one
 * round trip, and all of them commit or none does. Every part sees the database as it was before
 * the statement; a part that needs another's rows reads them from that part, by name.
 */
export function composeStatement(parts: readonly StatementPart[], columns: SQL, from: string): SQL {
  const withs = sql.join(parts.map((part) => sql`${sql.identifier(part.name)} AS (${part.query})`), sql`, `);
  const runs = parts
    .filter((part) => part.isSideEffect)
    .map((part) => sql` CROSS JOIN (SELECT count(*) FROM ${sql.identifier(part.name)}) AS ${sql.identifier(`${part.name}_ran`)}`);
  return sql`WITH ${withs} SELECT ${columns} FROM ${sql.identifier(from)}${sql.join(runs)}`;
}

const dialect = new PgDialect();

/**
 * Runs a statement as a named prepared statement where the driver allows it: postgres.js keeps
 * one per text on each connection, so a statement is parsed once per connection rather than on
 * every call, as `db.execute` would (it sends each one unnamed). PGlite runs it as any query.
 * The statements' texts must be few: their values go in as parameters.
 */
export async function runStatement<T>(db: Db, query: SQL): Promise<T[]> {
  return rowsOf<T>(await db._.session.prepareQuery(dialect.sqlToQuery(query), undefined, 'prepared', false).execute());
}
