/**
 * The subset of IndexedDB the client uses (the tabs' refresh generation, the device key), typed
 * here: the client builds without DOM types too.
 */
export interface IdbRequest<T> {
  result: T;
  error: unknown;
  onsuccess: (() => void) | null;
  onerror: (() => void) | null;
}

export interface IdbStore {
  get(key: string): IdbRequest<unknown>;
  put(value: unknown, key: string): IdbRequest<unknown>;
  add(value: unknown, key: string): IdbRequest<unknown>;
}

export interface IdbTransaction {
  objectStore(name: string): IdbStore;
  error: unknown;
  oncomplete: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
}

export interface IdbDatabase {
  createObjectStore(name: string): unknown;
  transaction(store: string, mode: 'readonly' | 'readwrite'): IdbTransaction;
}

export interface IndexedDbLike {
  open(name: string, version: number): IdbRequest<IdbDatabase> & { onupgradeneeded: (() => void) | null };
}

/** The database `name`, made on first use with the one object store `store`. */
export function openDatabase(indexedDb: IndexedDbLike, name: string, store: string): Promise<IdbDatabase> {
  const opening = indexedDb.open(name, 1);
  opening.onupgradeneeded = () => opening.result.createObjectStore(store);
  return settle(opening);
}

/** A request's result, once it has one. */
export function settle<T>(request: IdbRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}
