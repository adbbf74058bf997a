import { openDatabase, type IdbRequest, type IdbStore, type IndexedDbLike } from './idb.js';

/**
 * The origin's refresh generation: a number, never a token. Kept in IndexedDB rather than
 * `localStorage`: Chromium gives each tab's process a cached copy of `localStorage` that other
 * tabs' writes reach asynchronously, so a tab granted the refresh lock right after another
 * released it could still read the old number and refresh again (seen in
 * tests/client-browser.test.ts). IndexedDB transactions commit in one place, in order.
 */
export interface GenerationStore {
  read(): Promise<number>;
  write(generation: number): Promise<void>;
}

const DATABASE = 'session-client';
const STORE = 'generations';

export function openGenerationStore(indexedDb: IndexedDbLike, key: string): GenerationStore {
  const database = openDatabase(indexedDb, DATABASE, STORE);
  const run = async (mode: 'readonly' | 'readwrite', act: (store: IdbStore) => IdbRequest<unknown>) => {
    const transaction = (await database).transaction(STORE, mode);
    const request = act(transaction.objectStore(STORE));
    return new Promise<unknown>((resolve, reject) => {
      transaction.oncomplete = () => resolve(request.result);
      transaction.onerror = transaction.onabort = () => reject(transaction.error);
    });
  };
  return {
    read: async () => Number(await run('readonly', (store) => store.get(key))) || 0,
    write: async (generation) => {
      await run('readwrite', (store) => store.put(generation, key));
    },
  };
}
