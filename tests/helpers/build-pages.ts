import { buildAccountPage } from '../../src/account/build.js';
import { buildExplorer } from '../../src/explorer/build.js';

const BUILT = Symbol.for('browser bundles built');

/**
 * Vitest global setup: the explorer's and the account page's tests load the bundles `npm run build`
 * writes into dist/, so they are built before any suite runs, from the sources as they are now.
 */
export default async function setup(): Promise<void> {
  // Vitest runs a global setup for the root config and again for each project extending it, all in this process.
  const state = globalThis as { [BUILT]?: Promise<unknown> };
  state[BUILT] ??= Promise.all([buildExplorer(), buildAccountPage()]);
  await state[BUILT];
}
