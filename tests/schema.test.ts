import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { buildAppSchema, printAppSchema } from '../src/schema.js';

describe('schema.graphql', () => {
  it('matches the schema the type-graphql classes build (run `npm run schema` after changing them)', async () => {
    const committed = await readFile(new URL('../schema.graphql', import.meta.url), 'utf8');
    expect(printAppSchema(await buildAppSchema())).toBe(committed);
  });
});
