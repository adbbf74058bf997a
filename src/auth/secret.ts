import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config.js';

const SECRET_FILE = 'auth-secret';

/**
 * The configured AUTH_SECRET, else one generated on first start and kept in the data
 * directory (readable by its owner only), so that `npm start` works with no setup and
 * tokens survive a restart. Production refuses to start without AUTH_SECRET (see config).
 */
export async function resolveAuthSecret(config: Pick<Config, 'authSecret' | 'dataDir'>): Promise<{ secret: string; source: 'env' | 'file' | 'generated' }> {
  if (config.authSecret) return { secret: config.authSecret, source: 'env' };
  const path = join(config.dataDir, SECRET_FILE);
  try {
    const stored = (await readFile(path, 'utf8')).trim();
    if (Buffer.byteLength(stored) >= 32) return { secret: stored, source: 'file' };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const secret = randomBytes(48).toString('base64url');
  await mkdir(config.dataDir, { recursive: true });
  await writeFile(path, `${secret}\n`, { mode: 0o600 });
  return { secret, source: 'generated' };
}
