import { PGlite, type PGliteOptions } from '@electric-sql/pglite';

/**
 * PGlite's options besides the data directory. Postgres's default 128 MB of shared buffers lives
 * in PGlite's WebAssembly memory, which never shrinks, and took an idle server's resident memory
 * up by about 140 MiB; 16 MB holds this server's working set (point lookups by key), and the
 * operating system caches the files beneath it.
 */
export const pgliteOptions: PGliteOptions = {
  startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'],
};
