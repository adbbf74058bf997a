import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from './helpers/db.js';
import { AUTH_FIELDS, gql, PASSWORD, signUpUser, uniqueEmail, type GraphQLResponse } from './helpers/graphql.js';
import { scrape } from './helpers/metrics.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { connectSocket, type SocketClient, type Subscription } from './helpers/ws.js';

/** A signUp with `selection` as what it asks back: if any of it ran, the account would exist. */
const signUpSelecting = (selection: string) => `mutation($input: SignUpInput!) { signUp(input: $input) { ${selection} } }`;

const nestedFragments = (levels: number) => `${'... on User { '.repeat(levels)}id${' }'.repeat(levels)}`;
const aliases = (count: number) => Array.from({ length: count }, (_, i) => `a${i}: accessToken`).join(' ');
/** Issue 11's attack: graphql-js's overlapping-fields rule is quadratic in repeated fields. The comment misses Apollo's document cache. */
const repeatedFields = (count: number) => `# ${randomUUID()}\nquery Repeated { ${'me { id email } '.repeat(count)}}`;

/**
 * The least CPU time this process spent on one of `runs` calls of `work`, in ms. The test server
 * runs in this process, so this includes the server's share; the least of a few leaves out a
 * garbage collection or a timer of the server's that happened to land in one of them.
 */
async function leastCpuMsOf(runs: number, work: () => Promise<unknown>): Promise<number> {
  let least = Infinity;
  for (let run = 0; run < runs; run += 1) {
    const start = process.cpuUsage();
    await work();
    const { user, system } = process.cpuUsage(start);
    least = Math.min(least, (user + system) / 1000);
  }
  return least;
}

describe('GraphQL limits, checked before anything runs', () => {
  let server: TestServer;
  let strict: TestServer;
  let sockets: SocketClient[] = [];

  beforeAll(async () => {
    [server, strict] = await Promise.all([
      startTestServer(),
      startTestServer({ GRAPHQL_MAX_DEPTH: '3', GRAPHQL_MAX_ALIASES: '2', GRAPHQL_MAX_DIRECTIVES: '2', GRAPHQL_MAX_TOKENS: '60', GRAPHQL_MAX_COST: '20' }),
    ]);
  });
  afterAll(async () => {
    await Promise.all(sockets.map((socket) => socket.dispose()));
    await Promise.all([server.close(), strict.close()]);
  });

  async function accountExists(target: TestServer, email: string): Promise<boolean> {
    const rows = await queryRows(target.database, sql`SELECT 1 FROM users WHERE email = ${email}`);
    return rows.length > 0;
  }

  /** Sends the signUp, expects the code, and proves no resolver ran: the account was not created. */
  async function expectRefused(target: TestServer, query: string, code: string) {
    const email = uniqueEmail();
    const result = await gql(target, query, { variables: { input: { email, password: PASSWORD } } });
    expect(result.code, JSON.stringify(result.errors)).toBe(code);
    expect(result.status).toBe(400);
    expect(result.data).toBeUndefined();
    expect(await accountExists(target, email)).toBe(false);
    return result.errors![0]!.message;
  }

  it.each([
    ['depth over 12', `user { ${nestedFragments(12)} }`, 'QUERY_TOO_DEEP', /depth limit of 12/],
    ['more than 30 aliases', aliases(31), 'TOO_MANY_ALIASES', /Aliases limit of 30/],
    ['more than 50 directives', 'accessToken @include(if: true) '.repeat(51), 'TOO_MANY_DIRECTIVES', /Directives limit of 50/],
    ['more than 2,000 tokens', 'accessToken '.repeat(2000), 'TOO_MANY_TOKENS', /more th\w+ 2000 tokens/],
    ['more than 200 selections', 'accessToken '.repeat(200), 'TOO_MANY_SELECTIONS', /Selections limit of 200 exceeded, found 201/],
  ])('refuses %s with its code, before the mutation runs', async (_label, selection, code, message) => {
    expect(await expectRefused(server, signUpSelecting(selection), code)).toMatch(message);
  });

  it('refuses an operation over the cost limit with QUERY_TOO_COSTLY', async () => {
    // Every field of the payload, under a limit of 20.
    expect(await expectRefused(strict, signUpSelecting(AUTH_FIELDS), 'QUERY_TOO_COSTLY')).toMatch(/Query Cost limit of 20/);
  });

  it('takes each limit from its setting', async () => {
    await expectRefused(strict, signUpSelecting(`user { ${nestedFragments(2)} }`), 'QUERY_TOO_DEEP');
    await expectRefused(strict, signUpSelecting(aliases(3)), 'TOO_MANY_ALIASES');
    await expectRefused(strict, signUpSelecting('accessToken @include(if: true) '.repeat(3)), 'TOO_MANY_DIRECTIVES');
    await expectRefused(strict, signUpSelecting('accessToken '.repeat(60)), 'TOO_MANY_TOKENS');
  });

  it('lets an operation at every limit through', async () => {
    const email = uniqueEmail();
    const atLimits = `accessToken ${aliases(29)} user { ${nestedFragments(9)} } ${'refreshToken @include(if: true) '.repeat(50)}`;
    const result = await gql(server, signUpSelecting(atLimits), { variables: { input: { email, password: PASSWORD } } });
    expect(result.errors).toBeUndefined();
    expect(await accountExists(server, email)).toBe(true);
  });

  it('lets an operation of exactly 200 selections through', async () => {
    const email = uniqueEmail();
    const result = await gql(server, signUpSelecting('accessToken '.repeat(199)), { variables: { input: { email, password: PASSWORD } } });
    expect(result.errors).toBeUndefined();
    expect(await accountExists(server, email)).toBe(true);
  });

  it('applies the same limits to operations over WebSocket, and keeps the socket open after refusing', async () => {
    const { accessToken } = await signUpUser(server);
    const socket = connectSocket(server.url, accessToken);
    sockets.push(socket);
    await socket.acknowledged;
    const tooMany = socket.subscribe(`{ ${Array.from({ length: 31 }, (_, i) => `a${i}: __typename`).join(' ')} }`);
    await tooMany.done;
    expect(tooMany.errors).toEqual([[expect.objectContaining({ extensions: { code: 'TOO_MANY_ALIASES' } })]]);
    // A syntax error is the client's mistake too: an error for the operation, not the end of the socket.
    const broken = socket.subscribe('{ me { id ');
    await broken.done;
    expect(broken.errors).toEqual([[expect.objectContaining({ extensions: { code: 'GRAPHQL_PARSE_FAILED' } })]]);
    const fine = socket.subscribe<{ me: { id: string } }>('{ me { id } }');
    expect((await fine.first).me.id).toBeTruthy();
    expect(socket.isAcknowledged()).toBe(true);
  });
});

describe('selection limit, checked before the quadratic validation', () => {
  let server: TestServer;
  let raised: TestServer;
  const sockets: SocketClient[] = [];
  beforeAll(async () => {
    [server, raised] = await Promise.all([startTestServer(), startTestServer({ GRAPHQL_MAX_SELECTIONS: '1000' })]);
    // Warm both servers' request paths, so the measurements below are of the document alone.
    await Promise.all([gql(server, '{ me { id } }'), gql(raised, '{ me { id } }')]);
  });
  afterAll(async () => {
    await Promise.all(sockets.map((socket) => socket.dispose()));
    await Promise.all([server.close(), raised.close()]);
  });

  it('refuses 330 repeated fields over HTTP in well under 50 ms of CPU, and counts the refusal as invalid', async () => {
    const before = await scrape(server);
    let refused: GraphQLResponse | undefined;
    const refusedMs = await leastCpuMsOf(3, async () => { refused = await gql(server, repeatedFields(330)); });
    expect(refused?.code).toBe('TOO_MANY_SELECTIONS');
    expect(refused?.status).toBe(400);
    expect(refused?.errors?.[0]?.message).toMatch(/Selections limit of 200 exceeded, found 990/);
    expect(refusedMs).toBeLessThan(50);

    // The same document under a raised limit shows what the refusal spared the server.
    let validated: GraphQLResponse | undefined;
    const validatedMs = await leastCpuMsOf(1, async () => { validated = await gql(raised, repeatedFields(330)); });
    expect(validated?.errors).toBeUndefined();
    expect(validatedMs).toBeGreaterThan(Math.max(50, 5 * refusedMs));

    const after = await scrape(server);
    const labels = { operation: 'Repeated', type: 'unknown', outcome: 'invalid' };
    expect(after.value('session_server_graphql_operations_total', labels) - before.value('session_server_graphql_operations_total', labels)).toBe(3);
  });

  it('refuses them over WebSocket too, as cheaply, and keeps the socket open', async () => {
    const { accessToken } = await signUpUser(server);
    const socket = connectSocket(server.url, accessToken);
    sockets.push(socket);
    await socket.acknowledged;
    let operation: Subscription<unknown> | undefined;
    const refusedMs = await leastCpuMsOf(3, async () => {
      operation = socket.subscribe(repeatedFields(330));
      await operation.done;
    });
    expect(refusedMs).toBeLessThan(50);
    expect(operation?.errors).toEqual([[expect.objectContaining({ extensions: { code: 'TOO_MANY_SELECTIONS' } })]]);
    expect(socket.isAcknowledged()).toBe(true);
  });

  it('takes the limit from GRAPHQL_MAX_SELECTIONS', async () => {
    expect((await gql(raised, repeatedFields(334))).code).toBe('TOO_MANY_SELECTIONS');
  });
});

describe('introspection and suggestions', () => {
  let open: TestServer;
  let closed: TestServer;

  beforeAll(async () => {
    [open, closed] = await Promise.all([startTestServer(), startTestServer({ INTROSPECTION: 'off' })]);
  });
  afterAll(async () => {
    await Promise.all([open.close(), closed.close()]);
  });

  it('answers introspection by default outside production', async () => {
    const result = await gql(open, '{ __schema { queryType { name } } }');
    expect(result.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
  });

  it('suggests field names while introspection is on', async () => {
    const result = await gql(open, '{ mySesions { id } }');
    expect(result.errors?.[0]?.message).toMatch(/Did you mean "mySessions"\?/);
  });

  it('refuses introspection when it is off, over HTTP and WebSocket, naming the INTROSPECTION setting', async () => {
    const result = await gql(closed, '{ __schema { queryType { name } } }');
    expect(result.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(result.status).toBe(400);
    expect(result.data).toBeUndefined();
    expect(result.errors).toEqual([expect.objectContaining({ message: expect.stringMatching(/\bINTROSPECTION=off\b.*__schema/) })]);
    // Regression: the message was Apollo's, telling the client to "pass introspection: true to ApolloServer".
    expect(JSON.stringify(result.errors)).not.toMatch(/ApolloServer|Apollo Server/);
    const { accessToken } = await signUpUser(closed);
    const socket = connectSocket(closed.url, accessToken);
    try {
      const operation = socket.subscribe('{ __type(name: "Session") { name } }');
      await operation.done;
      expect(operation.errors).toEqual([[expect.objectContaining({ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' }, message: expect.stringMatching(/\bINTROSPECTION=off\b.*__type/) })]]);
    } finally {
      await socket.dispose();
    }
  });

  it('lets a query that only mentions __typename through when introspection is off', async () => {
    expect((await gql(closed, '{ __typename }')).data).toEqual({ __typename: 'Query' });
  });

  it('stops suggesting field names when introspection is off', async () => {
    const result = await gql(closed, '{ mySesions { id } }');
    expect(result.errors?.[0]?.message).toBe('Cannot query field "mySesions" on type "Query".');
  });
});

describe('HTTP transport rules', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  const get = (query: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}?query=${encodeURIComponent(query)}`, { headers: { accept: 'application/json', ...headers } });

  it('refuses a GET without a header a browser form cannot send (CSRF prevention)', async () => {
    const response = await get('{ __typename }');
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/Cross-Site Request Forgery/);
  });

  it('answers a query over GET that carries a preflight header', async () => {
    const response = await get('{ __typename }', { 'apollo-require-preflight': 'true' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('refuses a mutation over GET', async () => {
    const { accessToken } = await signUpUser(server);
    const response = await get('mutation { logout }', { 'apollo-require-preflight': 'true', authorization: `Bearer ${accessToken}` });
    expect(response.status).toBe(405);
    // The session was not ended.
    expect((await gql(server, '{ me { id } }', { token: accessToken })).errors).toBeUndefined();
  });

  it('refuses batched operations', async () => {
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]),
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/batching/i);
  });
});
