import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessions } from '../src/db/schema.js';
import { gql, signUpUser } from './helpers/graphql.js';
import { startTestServer, type TestServer } from './helpers/server.js';

describe('lastActiveAt', () => {
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer({ LAST_ACTIVE_WRITE_INTERVAL_SECONDS: '60' }); });
  afterAll(async () => { await server.close(); });

  async function storedLastActive(sessionId: string): Promise<string> {
    const [row] = await server.database.db.select({ at: sessions.lastActiveAt }).from(sessions).where(eq(sessions.id, sessionId));
    return row!.at.toISOString();
  }

  /** The write is not awaited by the request, so wait for it to land. */
  async function waitForLastActive(sessionId: string, expected: string): Promise<void> {
    await expect.poll(() => storedLastActive(sessionId), { timeout: 5000 }).toBe(expected);
  }

  it('is written at most once per interval, and not by requests in between', async () => {
    const { accessToken, session } = await signUpUser(server);
    const signedInAt = server.clock.now().toISOString();
    expect(await storedLastActive(session.id)).toBe(signedInAt);

    server.clock.advance(30);
    await gql(server, '{ me { id } }', { token: accessToken });
    server.clock.advance(29);
    await gql(server, '{ me { id } }', { token: accessToken });
    // Let any stray write land before checking that there was none.
    await gql(server, '{ __typename }');
    expect(await storedLastActive(session.id)).toBe(signedInAt);

    server.clock.advance(1);
    const firstWrite = server.clock.now().toISOString();
    await gql(server, '{ me { id } }', { token: accessToken });
    await waitForLastActive(session.id, firstWrite);

    server.clock.advance(10);
    await gql(server, '{ me { id } }', { token: accessToken });
    await gql(server, '{ __typename }');
    expect(await storedLastActive(session.id)).toBe(firstWrite);

    server.clock.advance(60);
    const secondWrite = server.clock.now().toISOString();
    await gql(server, '{ mySessions { id } }', { token: accessToken });
    await waitForLastActive(session.id, secondWrite);
  });
});
