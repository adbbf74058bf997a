import { sql, type SQL } from 'drizzle-orm';

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
