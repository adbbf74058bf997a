import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Every suite runs against PGlite; with TEST_DATABASE_URL set, the same suites run again against that Postgres server.
const drivers = process.env.TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];

export default defineConfig({
  resolve: {
    // graphql ships CommonJS and ESM builds; Node loads the CommonJS one for Apollo and type-graphql,
    // so the sources must get that same copy, or `instanceof GraphQLError` fails across the two.
    alias: [
      { find: /^graphql$/, replacement: createRequire(import.meta.url).resolve('graphql') },
      // The README's examples import the client as a user would; here that is its sources.
      { find: /^session-device-server\/client$/, replacement: fileURLToPath(new URL('src/client/index.ts', import.meta.url)) },
    ],
  },
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    globalSetup: ['tests/helpers/build-explorer.ts', 'tests/helpers/pglite-template.ts'],
    projects: drivers.map((driver) => ({
      extends: true,
      test: {
        name: driver,
        include: ['tests/**/*.test.ts'],
        env: { TEST_DRIVER: driver },
      },
    })),
  },
});
