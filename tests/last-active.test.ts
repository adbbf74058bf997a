import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessions } from '../src/db/schema.js';
import { queryRows } from './helpers/db.js';
import { gql, signUpUser } from './helpers/graphql.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { waitFor } from './helpers/ws.js';

describe('lastActiveAt', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ LAST_ACTIVE_WRITE_INTERVAL_SECONDS: '60' });
    await recordLastActiveWrites(server);
  });
  afterAll(async () => { await server.close(); });

  async function storedLastActive(sessionId: string): Promise<string> {
    const [row] = await server.database.db.select({ at: sessions.lastActiveAt }).from(sessions).where(eq(sessions.id, sessionId));
    return row!.at.toISOString();
  }

  /**
   * Waits for the session's lastActiveAt to have been written `count` times, and returns every
   * value written, in order. A request does not await its write, and a write that should not have
   * happened can only be seen among those that should: once the expected one is recorded, an
   * earlier stray one is too.
   */
  async function writesOnceThere(sessionId: string, count: number): Promise<string[]> {
    const writes = async () => (await queryRows<{ at: string | Date }>(server.database, sql`
      SELECT at FROM last_active_writes WHERE session_id = ${sessionId}::uuid ORDER BY seq`)).map((row) => new Date(row.at).toISOString());
    await waitFor(async () => (await writes()).length >= count, `${count} write(s) of lastActiveAt`, 5_000);
    return writes();
  }

  it('is written at most once per interval, and not by requests in between', async () => {
    const { accessToken, session } = await signUpUser(server);
    const signedInAt = server.clock.now().toISOString();
    expect(await storedLastActive(session.id)).toBe(signedInAt);

    server.clock.advance(30);
    await gql(server, '{ me { id } }', { token: accessToken });
    server.clock.advance(29);
    await gql(server, '{ me { id } }', { token: accessToken });

    server.clock.advance(1);
    const firstWrite = server.clock.now().toISOString();
    await gql(server, '{ me { id } }', { token: accessToken });
    expect(await writesOnceThere(session.id, 1)).toEqual([firstWrite]);
    expect(await storedLastActive(session.id)).toBe(firstWrite);

    server.clock.advance(10);
    await gql(server, '{ me { id } }', { token: accessToken });

    server.clock.advance(60);
    const secondWrite = server.clock.now().toISOString();
    await gql(server, '{ mySessions { id } }', { token: accessToken });
    expect(await writesOnceThere(session.id, 2)).toEqual([firstWrite, secondWrite]);
    expect(await storedLastActive(session.id)).toBe(secondWrite);
  });
});

/** Test instrumentation in the server's own database: a trigger that logs every write of a session's lastActiveAt. */
async function recordLastActiveWrites(server: TestServer): Promise<void> {
  await server.database.db.execute(sql`CREATE TABLE last_active_writes (seq serial PRIMARY KEY, session_id uuid NOT NULL, at timestamptz NOT NULL)`);
  await server.database.db.execute(sql.raw(`
    CREATE FUNCTION record_last_active_write() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO last_active_writes (session_id, at) VALUES (NEW.id, NEW.last_active_at);
      RETURN NEW;
    END $$`));
  await server.database.db.execute(sql`
    CREATE TRIGGER record_last_active_write AFTER UPDATE OF last_active_at ON sessions
    FOR EACH ROW EXECUTE FUNCTION record_last_active_write()`);
}
