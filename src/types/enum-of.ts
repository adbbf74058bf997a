/**
 * A GraphQL enum's values object for `registerEnumType`, taken from a Postgres enum's values, so
 * that the database and the schema cannot drift apart.
 */
export function enumOf<const T extends readonly [string, ...string[]]>(values: T): { [K in T[number]]: K } {
  return Object.fromEntries(values.map((value) => [value, value])) as { [K in T[number]]: K };
}
