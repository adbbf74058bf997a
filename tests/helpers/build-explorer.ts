import { buildExplorer } from '../../src/explorer/build.js';

const BUILT = Symbol.for('explorer bundle built');

/**
 * Vitest global setup: the explorer's tests load the bundle `npm run build` writes into dist/,
 * so it is built before any suite runs, from the sources as they are now (about half a second).
 */
export default async function setup(): Promise<void> {
  // Vitest runs a global setup for the root config and again for each project extending it, all in this process.
  const state = globalThis as { [BUILT]?: Promise<void> };
  state[BUILT] ??= buildExplorer();
  await state[BUILT];
}
