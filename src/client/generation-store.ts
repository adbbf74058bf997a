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

/** The subset of IndexedDB used here, typed locally: the client builds without DOM types too. */
export interface IndexedDbLike {
  open(name: string, version: number): IdbRequest<IdbDatabase> & { onupgradeneeded: (() => void) | null };
}
interface IdbRequest<T> {
  result: T;
  error: unknown;
  onsuccess: (() => void) | null;
  onerror: (() => void) | null;
}
interface IdbDatabase {
  createObjectStore(name: string): unknown;
  transaction(store: string, mode: 'readonly' | 'readwrite'): IdbTransaction;
}
interface IdbTransaction {
  objectStore(name: string): { get(key: string): IdbRequest<unknown>; put(value: unknown, key: string): IdbRequest<unknown> };
  error: unknown;
  oncomplete: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
}

const DATABASE = 'session-client';
const STORE = 'generations';

export function openGenerationStore(indexedDb: IndexedDbLike, key: string): GenerationStore {
  const database = new Promise<IdbDatabase>((resolve, reject) => {
    const request = indexedDb.open(DATABASE, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const run = async (mode: 'readonly' | 'readwrite', act: (store: ReturnType<IdbTransaction['objectStore']>) => IdbRequest<unknown>) => {
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
