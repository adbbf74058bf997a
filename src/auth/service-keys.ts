import { and, asc, eq, isNull, lte, or } from 'drizzle-orm';
import type { Clock } from '../clock.js';
import type { Db } from '../db/client.js';
import { serviceKeys } from '../db/schema.js';
import type { Logger } from '../logger.js';
import { generateSecretToken, hashToken } from './tokens.js';

/** What a service key may do. `sessions:admin` is `sessions:read` and `sessions:revoke` together; `webhooks:manage` is the webhook endpoints' admin API. */
export const SERVICE_KEY_SCOPES = ['sessions:issue', 'sessions:read', 'sessions:revoke', 'sessions:admin', 'webhooks:manage'] as const;
export type ServiceKeyScope = (typeof SERVICE_KEY_SCOPES)[number];

/** Every key starts so: a JWT starts with `ey`, so the two can never be taken for each other. */
export const SERVICE_KEY_PREFIX = 'sk_';
const NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/;
/** How often a key's `last_used_at` is written at most: a busy backend does not write on every call. */
const LAST_USED_WRITE_INTERVAL_MS = 60_000;

/** A key as it may be shown: never the key or its hash. */
export interface ServiceKeyInfo {
  id: string;
  name: string;
  scopes: ServiceKeyScope[];
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

/** The caller a valid key stands for. */
export interface ServiceCaller {
  keyId: string;
  name: string;
  scopes: ReadonlySet<ServiceKeyScope>;
}

export type ServiceKeyCheck = { ok: true; caller: ServiceCaller } | { ok: false; reason: 'unknown' | 'revoked' | 'expired' };

export function isServiceKey(token: string): boolean {
  return token.startsWith(SERVICE_KEY_PREFIX);
}

/** Why a name or a list of scopes cannot be a key's, or null. */
export function describeKeyProblem(name: string, scopes: readonly string[]): string | null {
  if (!NAME.test(name)) return 'A name is 1 to 64 letters, digits, spaces, dots, dashes or underscores, starting with a letter or digit.';
  const unknown = scopes.filter((scope) => !(SERVICE_KEY_SCOPES as readonly string[]).includes(scope));
  if (scopes.length === 0 || unknown.length > 0) return `Scopes are a comma-separated list of ${SERVICE_KEY_SCOPES.join(', ')}${unknown.length ? `; not ${unknown.join(', ')}` : ''}.`;
  return null;
}

const infoColumns = {
  id: serviceKeys.id, name: serviceKeys.name, scopes: serviceKeys.scopes, createdAt: serviceKeys.createdAt,
  lastUsedAt: serviceKeys.lastUsedAt, expiresAt: serviceKeys.expiresAt, revokedAt: serviceKeys.revokedAt,
};

export function createServiceKeys({ db, clock, logger }: { db: Db; clock: Clock; logger: Logger }) {
  return {
    /** A new key: 256 random bits after `sk_`. The key itself is returned this once and stored only as its SHA-256. */
    async create(name: string, scopes: readonly ServiceKeyScope[], expiresAt: Date | null = null): Promise<{ key: string; info: ServiceKeyInfo }> {
      const key = `${SERVICE_KEY_PREFIX}${generateSecretToken()}`;
      const [info] = await db
        .insert(serviceKeys)
        .values({ name, keyHash: hashToken(key), scopes: [...new Set(scopes)], createdAt: clock.now(), expiresAt })
        .returning(infoColumns);
      return { key, info: info as ServiceKeyInfo };
    },

    list(): Promise<ServiceKeyInfo[]> {
      return db.select(infoColumns).from(serviceKeys).orderBy(asc(serviceKeys.createdAt)) as Promise<ServiceKeyInfo[]>;
    },

    /** Revokes the live key of this name, at once; false when there is none. */
    async revoke(name: string): Promise<boolean> {
      const revoked = await db
        .update(serviceKeys)
        .set({ revokedAt: clock.now() })
        .where(and(eq(serviceKeys.name, name), isNull(serviceKeys.revokedAt)))
        .returning({ id: serviceKeys.id });
      return revoked.length > 0;
    },

    /** Checks a presented key: looked up by its SHA-256 (a digest, so the index lookup's timing reveals nothing useful). */
    async authenticate(key: string): Promise<ServiceKeyCheck> {
      const now = clock.now();
      const [row] = await db.select(infoColumns).from(serviceKeys).where(eq(serviceKeys.keyHash, hashToken(key)));
      if (!row) return { ok: false, reason: 'unknown' };
      if (row.revokedAt) return { ok: false, reason: 'revoked' };
      if (row.expiresAt && row.expiresAt <= now) return { ok: false, reason: 'expired' };
      const threshold = new Date(now.getTime() - LAST_USED_WRITE_INTERVAL_MS);
      if (!row.lastUsedAt || row.lastUsedAt <= threshold) {
        db.update(serviceKeys)
          .set({ lastUsedAt: now })
          .where(and(eq(serviceKeys.id, row.id), or(isNull(serviceKeys.lastUsedAt), lte(serviceKeys.lastUsedAt, threshold))))
          .then(undefined, (error: unknown) => logger.error({ err: error, serviceKey: row.name }, 'could not record service key use'));
      }
      const scopes = new Set(row.scopes as ServiceKeyScope[]);
      if (scopes.has('sessions:admin')) scopes.add('sessions:read').add('sessions:revoke');
      return { ok: true, caller: { keyId: row.id, name: row.name, scopes } };
    },
  };
}

export type ServiceKeys = ReturnType<typeof createServiceKeys>;
