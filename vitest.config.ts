import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Every suite runs against PGlite; with TEST_DATABASE_URL set, the same suites run again against that Postgres server.
const drivers = process.env.TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
const everySuite = ['tests/**/*.test.ts'];
// With TEST_REDIS_URL set too, the suites of real-time delivery run once more on Postgres with the Redis bus.
const realtimeSuites = [
  'tests/across-instances.test.ts', 'tests/forced-logout.test.ts', 'tests/sessions-changed.test.ts', 'tests/session-event-bus.test.ts',
  'tests/rename-session.test.ts', 'tests/socket-lifetime.test.ts', 'tests/lifecycle.test.ts', 'tests/redis-bus.test.ts',
];
const projects: Array<{ name: string; include: string[]; env: Record<string, string> }> = drivers.map((driver) => ({ name: driver, include: everySuite, env: { TEST_DRIVER: driver } }));
if (process.env.TEST_DATABASE_URL && process.env.TEST_REDIS_URL) {
  projects.push({ name: 'redis', include: realtimeSuites, env: { TEST_DRIVER: 'postgres', TEST_BUS: 'redis' } });
}

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
    // expect.poll waits on a browser or a second process, which a loaded CI machine can keep past
    // Vitest's default second; a poll that must settle sooner says so itself.
    expect: { poll: { timeout: 10_000 } },
    // The suites wait on sockets, timers, Postgres and child processes more than they compute: two
    // files at a time finish sooner even on two cores, where Vitest's default (cores - 1) runs one.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // A worker's files share its modules (src/, Apollo, type-graphql, the geolocation data the
    // helpers open once) instead of loading them again for each file. Nothing in src/ keeps module
    // state one file could leave to the next, and each file closes what it started.
    isolate: false,
    globalSetup: ['tests/helpers/build-pages.ts', 'tests/helpers/pglite-template.ts'],
    projects: projects.map((test) => ({ extends: true, test })),
  },
});
