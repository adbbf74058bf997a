// The bus publishes inside the revoking transaction: a rollback must never reach a socket.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';
import { createNotifySessionEventBus, type SessionEndedEvent } from '../src/realtime/session-event-bus.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { waitFor } from './helpers/ws.js';

describe('the Postgres NOTIFY session event bus', () => {
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer(); });
  afterAll(async () => { await server.close(); });

  it('delivers what committed, and nothing of what rolled back', async () => {
    const bus = createNotifySessionEventBus(server.database, createLogger({ logLevel: 'silent' }));
    const heard: SessionEndedEvent[] = [];
    await bus.subscribe({ ended: (event) => heard.push(event), created: () => {}, renamed: () => {}, resync: () => {} });
    const event = (reason: SessionEndedEvent['reason']): SessionEndedEvent => ({ sessionId: randomUUID(), reason, revokedAt: new Date() });
    const rolledBack = event('REVOKED');
    const committed = [event('LOGOUT'), event('REVOKED')];

    await expect(
      server.database.db.transaction(async (tx) => {
        await bus.publishEnded(tx, [rolledBack]);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    await server.database.db.transaction((tx) => bus.publishEnded(tx, committed));

    await waitFor(() => heard.length >= committed.length, 'the committed events');
    // Anything of the rolled-back transaction would have been delivered before the later commit's.
    expect(heard).toEqual(committed);
    await bus.close();
  });

  it('carries a revocation of hundreds of sessions across several notifications, every session once', async () => {
    const bus = createNotifySessionEventBus(server.database, createLogger({ logLevel: 'silent' }));
    const heard: SessionEndedEvent[] = [];
    await bus.subscribe({ ended: (event) => heard.push(event), created: () => {}, renamed: () => {}, resync: () => {} });
    const revokedAt = new Date();
    const events = Array.from({ length: 400 }, (): SessionEndedEvent => ({ sessionId: randomUUID(), reason: 'REVOKED', revokedAt }));
    await server.database.db.transaction((tx) => bus.publishEnded(tx, events));
    await waitFor(() => heard.length >= events.length, 'every event');
    expect(heard).toEqual(events);
    await bus.close();
  });
});
