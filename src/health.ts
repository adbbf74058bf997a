import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { rowsOf, type Db } from './db/client.js';
import { migrationsFolder } from './db/client.js';
import { sendJson, type Handler } from './http/respond.js';

const CHECK_TIMEOUT_MS = 2_000;

export interface ReadinessDeps {
  db: Db;
  /** Whether the session event listener is connected. */
  isReceivingSessionEvents(): boolean;
  /** True from the moment shutdown begins. */
  isStopping(): boolean;
}

/** `GET /healthz`: the process runs. */
export const healthz: Handler = (_request, response) => sendJson(response, 200, { status: 'ok' });

/**
 * `GET /readyz`: 200 only when the database answers with every committed migration applied and
 * the session event listener is connected; otherwise 503 with the reasons. Shutdown turns it 503 first.
 */
export function readyz(deps: ReadinessDeps): Handler {
  const expectedMigrations = (JSON.parse(readFileSync(`${migrationsFolder}/meta/_journal.json`, 'utf8')) as { entries: unknown[] }).entries.length;
  return async (_request, response) => {
    const reasons: string[] = [];
    if (deps.isStopping()) reasons.push('shutting down');
    const applied = await appliedMigrations(deps.db);
    if (applied === null) reasons.push('database not reachable');
    else if (applied < expectedMigrations) reasons.push(`migrations pending: ${applied} of ${expectedMigrations} applied`);
    if (!deps.isReceivingSessionEvents()) reasons.push('session event listener not connected');
    sendJson(response, reasons.length === 0 ? 200 : 503, reasons.length === 0 ? { status: 'ready' } : { status: 'not ready', reasons });
  };
}

async function appliedMigrations(db: Db): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => { timer = setTimeout(() => resolve(null), CHECK_TIMEOUT_MS); });
  const check = db.execute(sql`SELECT count(*)::int AS applied FROM __drizzle_migrations`).then(
    (result) => Number(rowsOf<{ applied: number }>(result)[0]!.applied),
    () => null,
  );
  try {
    return await Promise.race([check, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
