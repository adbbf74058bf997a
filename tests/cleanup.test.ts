// The cleanup removes exactly the rows past their retention, in batches, and `npm run cleanup` runs it once.
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLEANUP_LOCK_KEY, runCleanup } from '../src/jobs/cleanup.js';
import { createLogger } from '../src/logger.js';
import { queryRows } from './helpers/db.js';
import { gql, signUpUser } from './helpers/graphql.js';
import { migratedDataDir, runMain } from './helpers/process.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { waitFor } from './helpers/ws.js';

const RETENTION = { sessionRetentionDays: 30, securityEventRetentionDays: 365, loginFailureWindowSeconds: 900, signUpWindowSeconds: 3600, webhookFailedRetentionDays: 30 };

describe('cleanup', () => {
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer(); });
  afterAll(async () => { await server.close(); });

  /** Inserts `count` sessions of the user with the given timestamps, expressed as days before now. */
  async function insertSessions(userId: string, count: number, { revokedDaysAgo, expiresDaysAgo }: { revokedDaysAgo: number | null; expiresDaysAgo: number }) {
    const now = server.clock.now().toISOString();
    await server.database.db.execute(sql`
      INSERT INTO sessions (user_id, access_token_hash, refresh_token_hash, device_name, device_type, created_at, last_active_at, expires_at, revoked_at, revoked_reason)
      SELECT ${userId}::uuid, 'a', md5(random()::text || n), 'Old device', 'UNKNOWN',
        ${now}::timestamptz - interval '400 days',
        -- Active until the day before it expired: it ended at expires_at, not at an idle timeout.
        ${now}::timestamptz - (${expiresDaysAgo} + 1) * interval '1 day',
        ${now}::timestamptz - ${expiresDaysAgo} * interval '1 day',
        CASE WHEN ${revokedDaysAgo}::int IS NULL THEN NULL ELSE ${now}::timestamptz - ${revokedDaysAgo}::int * interval '1 day' END,
        CASE WHEN ${revokedDaysAgo}::int IS NULL THEN NULL ELSE 'REVOKED'::revocation_reason END
      FROM generate_series(1, ${count}) AS n`);
  }

  const count = async (query: ReturnType<typeof sql>) => (await queryRows<{ n: number | string }>(server.database, query)).map((row) => Number(row.n))[0];

  it('removes exactly the sessions, events and failures past retention, more than one batch of them, and keeps the rest', async () => {
    const user = await signUpUser(server);
    const uid = user.user.id;
    await insertSessions(uid, 12_000, { revokedDaysAgo: 31, expiresDaysAgo: -1 });
    await insertSessions(uid, 3, { revokedDaysAgo: null, expiresDaysAgo: 31 });
    await insertSessions(uid, 4, { revokedDaysAgo: 29, expiresDaysAgo: -1 });
    await insertSessions(uid, 5, { revokedDaysAgo: null, expiresDaysAgo: 29 });
    const now = server.clock.now().toISOString();
    await server.database.db.execute(sql`
      INSERT INTO security_events (user_id, type, created_at)
      SELECT ${uid}::uuid, 'LOGIN_FAILED', ${now}::timestamptz - (CASE WHEN n <= 7 THEN 366 ELSE 364 END) * interval '1 day' FROM generate_series(1, 10) AS n`);
    await server.database.db.execute(sql`
      INSERT INTO login_failures (email_hash, ip_address, created_at)
      SELECT md5(n::text), '203.0.113.1', ${now}::timestamptz - (CASE WHEN n <= 2 THEN 901 ELSE 10 END) * interval '1 second' FROM generate_series(1, 5) AS n`);
    await server.database.db.execute(sql`
      INSERT INTO sign_up_attempts (ip_address, created_at)
      SELECT '203.0.113.1', ${now}::timestamptz - (CASE WHEN n <= 3 THEN 3601 ELSE 10 END) * interval '1 second' FROM generate_series(1, 4) AS n`);

    // Of these four deliveries, the delivered one and the one that failed 31 days ago go, and their events with them.
    await server.database.db.execute(sql`
      WITH endpoint AS (
        INSERT INTO webhook_endpoints (url, format, event_types, created_by, created_at)
        VALUES ('https://example.com/hooks', 'STANDARD_WEBHOOKS', '{session.ended}', 'test', ${now}) RETURNING id),
      event AS (
        INSERT INTO outbox_events (type, user_id, occurred_at, data)
        SELECT 'session.ended', ${uid}::uuid, ${now}, '{}'::jsonb FROM generate_series(1, 4) RETURNING id, seq)
      INSERT INTO webhook_deliveries (event_id, endpoint_id, event_seq, ordering_key, status, next_attempt_at, retry_until, created_at, finished_at)
      SELECT event.id, endpoint.id, event.seq, ${uid}::uuid, (ARRAY['DELIVERED', 'FAILED', 'FAILED', 'PENDING'])[row_number() OVER (ORDER BY event.seq)]::webhook_delivery_status,
        ${now}, ${now}, ${now}, ${now}::timestamptz - (ARRAY[0, 31, 29, 0])[row_number() OVER (ORDER BY event.seq)] * interval '1 day'
      FROM event, endpoint`);

    // DPoP proofs seen: two past their window go, one still in it stays.
    await server.database.db.execute(sql`
      INSERT INTO dpop_proofs (proof_hash, expires_at)
      SELECT md5(n::text), ${now}::timestamptz + (CASE WHEN n <= 2 THEN -1 ELSE 30 END) * interval '1 second' FROM generate_series(1, 3) AS n`);

    const removed = await runCleanup({ database: server.database, clock: server.clock, logger: createLogger({ logLevel: 'silent' }), ...RETENTION });
    expect(removed).toEqual({ sessions: 12_003, securityEvents: 7, loginFailures: 2, signUpAttempts: 3, webhookDeliveries: 2, outboxEvents: 2, dpopProofs: 2 });
    expect(await count(sql`SELECT count(*) AS n FROM dpop_proofs`)).toBe(1);
    expect(await count(sql`SELECT count(*) AS n FROM webhook_deliveries`)).toBe(2);
    // What is left: the sign-up's live session, the recent ended ones, the recent events and failures.
    expect(await count(sql`SELECT count(*) AS n FROM sessions WHERE user_id = ${uid}`)).toBe(1 + 4 + 5);
    expect(await count(sql`SELECT count(*) AS n FROM security_events WHERE user_id = ${uid}`)).toBe(1 + 3);
    expect(await count(sql`SELECT count(*) AS n FROM login_failures`)).toBe(3);
    // The sign-up's own attempt, made just now, and the recent one.
    expect(await count(sql`SELECT count(*) AS n FROM sign_up_attempts`)).toBe(2);
    expect((await gql(server, '{ me { id } }', { token: user.accessToken })).status).toBe(200);
  });

  it('runs on one holder of the lock at a time', async () => {
    const logger = createLogger({ logLevel: 'silent' });
    let release!: () => void;
    let acquired!: () => void;
    const isAcquired = new Promise<void>((resolve) => { acquired = resolve; });
    const held = server.database.tryWithLock(CLEANUP_LOCK_KEY, () => new Promise<void>((resolve) => {
      release = resolve;
      acquired();
    }));
    // The lock is taken on a connection of its own, asynchronously: wait until it is held.
    await isAcquired;
    expect(await runCleanup({ database: server.database, clock: server.clock, logger, ...RETENTION })).toBeNull();
    release();
    await held;
    expect(await runCleanup({ database: server.database, clock: server.clock, logger, ...RETENTION })).not.toBeNull();
  });
});

// Regression: the sweep stamped revoked_at with its own time, so a session that had ended 40 days
// ago while no instance ran was kept another SESSION_RETENTION_DAYS.
describe('cleanup of sessions that ended while no instance ran', () => {
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer({ EXPIRY_SWEEP_SECONDS: '1' }); });
  afterAll(async () => { await server.close(); });

  /** A session never swept, with its times given as days before now; returns its id. */
  async function insertUnswept(userId: string, days: { createdAgo: number; lastActiveAgo: number; expiresAgo: number }): Promise<string> {
    const now = server.clock.now().toISOString();
    const [row] = await queryRows<{ id: string }>(server.database, sql`
      INSERT INTO sessions (user_id, access_token_hash, refresh_token_hash, device_name, device_type, created_at, last_active_at, expires_at)
      VALUES (${userId}::uuid, 'a', md5(random()::text), 'Old device', 'UNKNOWN', ${now}::timestamptz - ${days.createdAgo} * interval '1 day',
        ${now}::timestamptz - ${days.lastActiveAgo} * interval '1 day', ${now}::timestamptz - ${days.expiresAgo} * interval '1 day')
      RETURNING id`);
    return row!.id;
  }

  const daysAgo = (days: number) => new Date(server.clock.now().getTime() - days * 24 * 3600 * 1000).toISOString();

  it('sweeps them as ended when they did end, and deletes them at the next cleanup', async () => {
    const { user } = await signUpUser(server);
    // Idle (7 days by default) since 47 days ago: ended 40 days ago, before its lifetime ran out.
    const idle = await insertUnswept(user.id, { createdAgo: 50, lastActiveAgo: 47, expiresAgo: 20 });
    // Its lifetime ran out 40 days ago, two days after its last activity.
    const aged = await insertUnswept(user.id, { createdAgo: 70, lastActiveAgo: 42, expiresAgo: 40 });
    const ended = async () => queryRows<{ id: string; revoked_at: string | Date | null; revoked_reason: string | null }>(
      server.database, sql`SELECT id, revoked_at, revoked_reason FROM sessions WHERE id IN (${idle}::uuid, ${aged}::uuid)`,
    );
    await waitFor(async () => (await ended()).every((row) => row.revoked_at !== null), 'the sweep');

    const revokedAt = Object.fromEntries((await ended()).map((row) => [row.id, new Date(row.revoked_at!).toISOString()]));
    expect(revokedAt).toEqual({ [idle]: daysAgo(40), [aged]: daysAgo(40) });
    const events = await queryRows<{ session_id: string; created_at: string | Date }>(server.database, sql`
      SELECT session_id, created_at FROM security_events WHERE type = 'SESSION_EXPIRED' AND session_id IN (${idle}::uuid, ${aged}::uuid)`);
    expect(Object.fromEntries(events.map((event) => [event.session_id, new Date(event.created_at).toISOString()]))).toEqual(revokedAt);

    const removed = await runCleanup({ database: server.database, clock: server.clock, logger: createLogger({ logLevel: 'silent' }), ...RETENTION });
    expect(removed?.sessions).toBe(2);
    expect(await ended()).toEqual([]);
  });
});

describe('npm run cleanup', () => {
  let dataDir: string;
  beforeAll(async () => { dataDir = await migratedDataDir(); });
  afterAll(async () => { await rm(dataDir, { recursive: true, force: true }); });

  it('runs the cleanup once and exits 0', async () => {
    const run = runMain({ DATA_DIR: dataDir, AUTH_SECRET: randomUUID() + randomUUID() }, 'src/scripts/cleanup.ts');
    expect(await run.exited).toBe(0);
    expect(run.output()).toContain('"cleanup removed old rows"');
  });
});
