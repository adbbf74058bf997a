/** Reading the errors of both drivers, which wrap Postgres's own under Drizzle's "Failed query". */

/** The error at the bottom of a chain of causes: Postgres's own. */
export function rootCause(error: unknown): unknown {
  let cause = error;
  for (let depth = 0; depth < 5 && cause instanceof Error && cause.cause instanceof Error; depth++) cause = cause.cause;
  return cause;
}

/** Whether the statement broke this unique index (SQLSTATE 23505), as postgres.js (`constraint_name`) or PGlite (`constraint`) says. */
export function isUniqueViolation(error: unknown, index: string): boolean {
  const cause = rootCause(error) as { code?: unknown; constraint_name?: unknown; constraint?: unknown };
  return cause.code === '23505' && (cause.constraint_name ?? cause.constraint) === index;
}
