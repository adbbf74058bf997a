// mySecurityEvents: the caller's own events, newest first, in pages with opaque cursors.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCursor } from '../src/auth/security-events.js';
import { queryRows } from './helpers/db.js';
import { gql, signUpUser } from './helpers/graphql.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const PAGE = 'query($first: Int, $after: String) { mySecurityEvents(first: $first, after: $after) { edges { cursor node { id type createdAt } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }';

type PageInfo = { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
type Page = { edges: Array<{ cursor: string; node: { id: string; type: string } }>; pageInfo: PageInfo };

describe('security events', () => {
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer(); });
  afterAll(async () => { await server.close(); });

  async function page(token: string, first?: number, after?: string) {
    return gql<{ mySecurityEvents: Page }>(server, PAGE, { token, variables: { first, after } });
  }

  it('pages over 250 events newest first, every event once, and never another user\'s', async () => {
    const me = await signUpUser(server);
    const someoneElse = await signUpUser(server);
    // 249 more events of mine, interleaved with someone else's, several within the same millisecond.
    await server.database.db.execute(sql`
      INSERT INTO security_events (user_id, type, created_at)
      SELECT CASE WHEN n % 2 = 0 THEN ${me.user.id}::uuid ELSE ${someoneElse.user.id}::uuid END, 'LOGIN_FAILED', now() - (n / 3) * interval '1 ms'
      FROM generate_series(1, 498) AS n`);
    const expected = await queryRows<{ id: string }>(server.database, sql`SELECT id FROM security_events WHERE user_id = ${me.user.id} ORDER BY seq DESC`);
    expect(expected).toHaveLength(250);

    const seen: string[] = [];
    let after: string | undefined;
    const sizes: number[] = [];
    for (;;) {
      const result = (await page(me.accessToken, 100, after)).data!.mySecurityEvents;
      sizes.push(result.edges.length);
      seen.push(...result.edges.map((edge) => edge.node.id));
      expect(result.pageInfo.startCursor).toBe(result.edges[0]!.cursor);
      expect(result.pageInfo.hasPreviousPage).toBe(after !== undefined);
      if (!result.pageInfo.hasNextPage) break;
      expect(result.pageInfo.endCursor).toBe(result.edges.at(-1)!.cursor);
      after = result.pageInfo.endCursor!;
    }
    expect(sizes).toEqual([100, 100, 50]);
    expect(seen).toEqual(expected.map((row) => row.id));
  });

  it('says no page precedes one whose cursor has nothing of the caller\'s at or before it, and gives null cursors for an empty page', async () => {
    const me = await signUpUser(server);
    const [newest] = await queryRows<{ seq: number }>(server.database, sql`SELECT seq::int AS seq FROM security_events WHERE user_id = ${me.user.id}`);
    const atNewest = (await page(me.accessToken, 10, encodeCursor({ seq: newest!.seq }))).data!.mySecurityEvents;
    expect(atNewest).toEqual({ edges: [], pageInfo: { hasNextPage: false, hasPreviousPage: true, startCursor: null, endCursor: null } });
    // A position past every event of the caller's (another user's newer one): nothing of theirs precedes it.
    const other = await signUpUser(server);
    const [othersNewest] = await queryRows<{ seq: number }>(server.database, sql`SELECT seq::int AS seq FROM security_events WHERE user_id = ${other.user.id}`);
    const beyond = (await page(me.accessToken, 10, encodeCursor({ seq: othersNewest!.seq }))).data!.mySecurityEvents;
    const mine = beyond.edges.map((edge) => edge.cursor);
    expect(mine).toEqual([encodeCursor({ seq: newest!.seq })]);
    expect(beyond.pageInfo).toEqual({ hasNextPage: false, hasPreviousPage: false, startCursor: mine[0], endCursor: mine[0] });
  });

  it('defaults to 20 and refuses first outside 1..100 or a cursor that is not ours', async () => {
    const me = await signUpUser(server);
    expect((await page(me.accessToken)).data!.mySecurityEvents.edges).toHaveLength(1);
    for (const first of [0, 101, -1]) expect((await page(me.accessToken, first)).code).toBe('BAD_USER_INPUT');
    for (const after of ['garbage', Buffer.from('se:abc').toString('base64url'), 'x'.repeat(500)]) {
      expect((await page(me.accessToken, 10, after)).code).toBe('BAD_USER_INPUT');
    }
  });

  it('requires a session', async () => {
    expect((await gql(server, PAGE)).code).toBe('UNAUTHENTICATED');
  });
});
