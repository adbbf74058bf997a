import type { Db } from './client.js';

const tasksOf = new WeakMap<Db, Array<() => void>>();

/** `db.transaction`, with what `onCommit` asked to run once it has committed. */
export async function transaction<T>(db: Db, work: (tx: Db) => Promise<T>): Promise<T> {
  const tasks: Array<() => void> = [];
  const result = await db.transaction((tx) => {
    tasksOf.set(tx, tasks);
    return work(tx);
  });
  for (const task of tasks) task();
  return result;
}

/**
 * Runs `task` once the change made in `tx` has committed, and never if it rolls back. Without
 * `tx` the change was a statement of its own, committed already: `task` runs at once.
 */
export function onCommit(tx: Db | undefined, task: () => void): void {
  if (!tx) return task();
  const tasks = tasksOf.get(tx);
  // A programming error, loud on every bus: a task here would otherwise never run.
  if (!tasks) throw new Error('onCommit needs a transaction opened by transaction() of db/after-commit');
  tasks.push(task);
}
