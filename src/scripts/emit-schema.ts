import { writeFile } from 'node:fs/promises';
import { buildAppSchema, printAppSchema } from '../schema.js';

const target = new URL('../../schema.graphql', import.meta.url);
await writeFile(target, printAppSchema(await buildAppSchema()));
console.log(`wrote ${target.pathname}`);
