// The ErrorCode enum of the schema lists every `extensions.code` the server sends, each described:
// the codes of its own errors and the ones Apollo Server puts there by itself.
import { ApolloServerErrorCode } from '@apollo/server/errors';
import { isEnumType } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../src/errors.js';
import { buildAppSchema } from '../src/schema.js';
import { gql, PASSWORD, signUpUser, uniqueEmail } from './helpers/graphql.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { connectSocket } from './helpers/ws.js';
import { newServiceKey } from './helpers/service-keys.js';

const FRESH_AUTH_SECONDS = 60;

async function schemaErrorCodes(): Promise<Map<string, string | null | undefined>> {
  const type = (await buildAppSchema()).getType('ErrorCode');
  if (!isEnumType(type)) throw new Error('the schema has no ErrorCode enum');
  return new Map(type.getValues().map((value) => [value.name, value.description]));
}

describe('the ErrorCode enum', () => {
  it('holds every code of src/errors.ts, each described', async () => {
    const codes = await schemaErrorCodes();
    expect([...codes.keys()].sort()).toEqual(Object.values(ErrorCode).sort());
    for (const [code, description] of codes) expect(description, code).toMatch(/\S/);
  });

  // PERSISTED_QUERY_NOT_SUPPORTED is Apollo's answer only when persisted queries are turned off, and they are on.
  it("holds every code Apollo Server can send with this server's options", async () => {
    const codes = await schemaErrorCodes();
    const apollos = Object.values(ApolloServerErrorCode).filter((code) => code !== ApolloServerErrorCode.PERSISTED_QUERY_NOT_SUPPORTED);
    expect(apollos.filter((code) => !codes.has(code))).toEqual([]);
  });
});

describe('every code the server sends', () => {
  let server: TestServer;
  let codes: Map<string, unknown>;
  beforeAll(async () => {
    [server, codes] = await Promise.all([
      startTestServer({ LOGIN_MAX_FAILURES_PER_EMAIL_IP: '1', WS_MAX_SUBSCRIPTIONS: '1', FRESH_AUTH_SECONDS: String(FRESH_AUTH_SECONDS) }),
      schemaErrorCodes(),
    ]);
  });
  afterAll(async () => { await server.close(); });

  const post = async (body: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    return ((await response.json()) as { errors?: Array<{ extensions?: { code?: string } }> }).errors?.[0]?.extensions?.code;
  };
  const codeOf = async (query: string, token?: string) => (await gql(server, query, { token })).code;
  const LOGIN = (email: string, password: string) => `mutation { login(input: { email: "${email}", password: "${password}" }) { accessToken } }`;

  const cases: Array<[string, () => Promise<string | undefined>]> = [
    ['UNAUTHENTICATED', () => codeOf('{ mySessions { id } }')],
    ['FORBIDDEN', async () => {
      return codeOf('{ mySessions { id } }', await newServiceKey(server, 'error codes', ['sessions:read']));
    }],
    ['BAD_USER_INPUT', () => codeOf(`mutation { signUp(input: { email: "nope", password: "${PASSWORD}" }) { accessToken } }`)],
    ['NOT_FOUND', async () => codeOf('mutation { revokeSession(id: "00000000-0000-4000-8000-000000000000") }', (await signUpUser(server)).accessToken)],
    ['EMAIL_TAKEN', async () => codeOf(`mutation { signUp(input: { email: "${(await signUpUser(server)).user.email}", password: "${PASSWORD}" }) { accessToken } }`)],
    ['INVALID_CREDENTIALS', () => codeOf(LOGIN(uniqueEmail(), PASSWORD))],
    ['RATE_LIMITED', async () => {
      const { user } = await signUpUser(server);
      await codeOf(LOGIN(user.email, 'wrong password'));
      return codeOf(LOGIN(user.email, 'wrong password'));
    }],
    ['REAUTHENTICATION_REQUIRED', async () => {
      const me = await signUpUser(server);
      server.clock.advance(FRESH_AUTH_SECONDS + 1);
      return codeOf('mutation { revokeOtherSessions }', me.accessToken);
    }],
    ['BAD_REQUEST', () => post([{ query: '{ __typename }' }])],
    ['ORIGIN_NOT_ALLOWED', () => post({ query: '{ __typename }' }, { origin: 'https://elsewhere.example' })],
    ['GRAPHQL_PARSE_FAILED', () => codeOf('{ me {')],
    ['GRAPHQL_VALIDATION_FAILED', () => codeOf('{ nope }')],
    ['OPERATION_RESOLUTION_FAILURE', () => codeOf('query A { __typename } query B { __typename }')],
    ['PERSISTED_QUERY_NOT_FOUND', () => post({ extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } })],
    ['INTERNAL_SERVER_ERROR', () => post({ query: '{ __typename }', extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } })],
    ['QUERY_TOO_DEEP', () => codeOf(`{ ${'... on Query { '.repeat(13)}__typename${' }'.repeat(13)} }`)],
    ['TOO_MANY_ALIASES', () => codeOf(`{ ${Array.from({ length: 31 }, (_, i) => `a${i}: __typename`).join(' ')} }`)],
    ['TOO_MANY_DIRECTIVES', () => codeOf(`{ ${'__typename @include(if: true) '.repeat(51)} }`)],
    ['TOO_MANY_TOKENS', () => codeOf(`{ ${'__typename '.repeat(2000)} }`)],
    ['TOO_MANY_SELECTIONS', () => codeOf(`{ ${'__typename '.repeat(201)} }`)],
    ['SUBSCRIPTION_LIMIT_REACHED', async () => {
      const socket = connectSocket(server.url, (await signUpUser(server)).accessToken);
      try {
        await socket.acknowledged;
        socket.subscribe('subscription { sessionRevoked { reason } }');
        const second = socket.subscribe('subscription { mySessionsChanged { type } }');
        await second.done;
        return (second.errors[0] as Array<{ extensions?: { code?: string } }>)[0]?.extensions?.code;
      } finally {
        await socket.dispose();
      }
    }],
  ];

  // Regression: over WebSocket these came without a code (graphql-ws's "Unable to identify operation", and a bare variable error).
  it.each([
    ['OPERATION_RESOLUTION_FAILURE', 'query A { __typename } query B { __typename }', undefined],
    ['OPERATION_RESOLUTION_FAILURE', 'query A { __typename }', undefined, 'B'],
    ['BAD_USER_INPUT', 'query($first: Int) { mySecurityEvents(first: $first) { edges { cursor } } }', { first: 'many' }],
  ] as const)('sends %s over WebSocket as over HTTP, for %s', async (expected, query, variables, operationName?: string) => {
    const { accessToken } = await signUpUser(server);
    const overHttp = await post({ query, variables, operationName }, { authorization: `Bearer ${accessToken}` });
    const socket = connectSocket(server.url, accessToken);
    try {
      await socket.acknowledged;
      const errors = await new Promise<unknown>((resolve) => {
        socket.client.subscribe({ query, variables, operationName }, { next: ({ errors }) => resolve(errors), error: resolve, complete: () => resolve(undefined) });
      });
      expect(errors).toEqual([expect.objectContaining({ extensions: { code: expected } })]);
      expect(overHttp).toBe(expected);
    } finally {
      await socket.dispose();
    }
  });

  it.each(cases)('sends %s, a value of the enum', async (expected, send) => {
    const code = await send();
    expect(code).toBe(expected);
    expect(codes.has(code!)).toBe(true);
  });

  // QUERY_TOO_COSTLY needs a document under every other limit that costs more than 5,000: tests/graphql-limits.test.ts sends one to a server with a lower limit.
  it('covers every value of the enum but QUERY_TOO_COSTLY', () => {
    expect([...codes.keys()].filter((code) => !cases.some(([sent]) => sent === code))).toEqual(['QUERY_TOO_COSTLY']);
  });
});
