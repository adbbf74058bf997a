// The bus publishes with the revoking statement: a rollback must never reach a socket.
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onCommit, transaction } from '../src/db/after-commit.js';
import type { Db } from '../src/db/client.js';
import { composeStatement } from '../src/db/statement.js';
import { createLogger } from '../src/logger.js';
import { createRedisSessionEventBus } from '../src/realtime/redis-session-event-bus.js';
import { createNotifySessionEventBus, type SessionEndedEvent, type SessionEventBus } from '../src/realtime/session-event-bus.js';
import { testBus } from './helpers/bus.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { waitFor } from './helpers/ws.js';

describe(`the ${testBus === 'redis' ? 'Redis' : 'Postgres NOTIFY'} session event bus`, () => {
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer(); });
  afterAll(async () => { await server.close(); });

  it('delivers what committed, and nothing of what rolled back', async () => {
    const bus = busUnderTest(server);
    const heard: SessionEndedEvent[] = [];
    await bus.subscribe({ ended: (event) => heard.push(event), created: () => {}, renamed: () => {}, resync: () => {} });
    const userId = randomUUID();
    await bus.follow(userId);
    const event = (reason: SessionEndedEvent['reason']): SessionEndedEvent => ({ sessionId: randomUUID(), userId, reason, revokedAt: new Date() });
    const rolledBack = event('REVOKED');
    const committed = [event('LOGOUT'), event('REVOKED')];

    await expect(
      transaction(server.database.db, async (tx) => {
        await publishEnded(bus, tx, [rolledBack]);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    await transaction(server.database.db, (tx) => publishEnded(bus, tx, committed));

    await waitFor(() => heard.length >= committed.length, 'the committed events');
    // Anything of the rolled-back transaction would have been delivered before the later commit's.
    expect(heard.toSorted(bySession)).toEqual(committed.toSorted(bySession));
    await bus.close();
  });

  it('carries a revocation of hundreds of sessions across several notifications, every session once', async () => {
    const bus = busUnderTest(server);
    const heard: SessionEndedEvent[] = [];
    await bus.subscribe({ ended: (event) => heard.push(event), created: () => {}, renamed: () => {}, resync: () => {} });
    const userId = randomUUID();
    await bus.follow(userId);
    const revokedAt = new Date();
    const events = Array.from({ length: 400 }, (): SessionEndedEvent => ({ sessionId: randomUUID(), userId, reason: 'REVOKED', revokedAt }));
    await transaction(server.database.db, (tx) => publishEnded(bus, tx, events));
    await waitFor(() => heard.length >= events.length, 'every event');
    expect(heard.toSorted(bySession)).toEqual(events.toSorted(bySession));
    await bus.close();
  });
});

const bySession = (a: SessionEndedEvent, b: SessionEndedEvent) => a.sessionId.localeCompare(b.sessionId);

/** Publishes as the revoker does: the bus's parts in a statement over the ended rows, and after commit. */
async function publishEnded(bus: SessionEventBus, tx: Db, events: SessionEndedEvent[]): Promise<void> {
  const rows = sql`SELECT * FROM jsonb_to_recordset(${JSON.stringify(events.map((event) => ({
    id: event.sessionId, user_id: event.userId ?? null, revoked_reason: event.reason, revoked_at: event.revokedAt.toISOString(),
  })))}::jsonb) AS ended(id uuid, user_id uuid, revoked_reason text, revoked_at timestamptz)`;
  await tx.execute(composeStatement([{ name: 'ended', query: rows }, ...bus.partsFor({ kind: 'ended', part: 'ended' })], sql`1`, 'ended'));
  onCommit(tx, () => bus.publishCommitted({ kind: 'ended', events }));
}

/** The bus the server under test runs on, following the users of the events the test publishes. */
function busUnderTest(server: TestServer): SessionEventBus {
  const logger = createLogger({ logLevel: 'silent' });
  if (testBus === 'postgres') return createNotifySessionEventBus(server.database, logger);
  return createRedisSessionEventBus({ url: process.env.TEST_REDIS_URL!, logger, resyncSeconds: 3600 });
}
