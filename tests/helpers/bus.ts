/**
 * Which session event bus the suites run on: Postgres notifications, or Redis (the `redis`
 * project, TEST_BUS=redis, over TEST_REDIS_URL) for the realtime suites.
 */
export const testBus = process.env.TEST_BUS === 'redis' ? 'redis' : 'postgres';

/** The settings that put a server on the bus under test. */
export function busEnv(): Record<string, string> {
  return testBus === 'redis' ? { SESSION_BUS: 'redis', REDIS_URL: process.env.TEST_REDIS_URL! } : {};
}
