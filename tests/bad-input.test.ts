import { once } from 'node:events';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { queryRows } from './helpers/db.js';
import { AUTH_FIELDS, gql, PASSWORD, signUpUser, uniqueEmail, type AuthPayload } from './helpers/graphql.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const SIGN_UP = `mutation($input: SignUpInput!) { signUp(input: $input) { ${AUTH_FIELDS} } }`;
const LOGIN = `mutation($input: LoginInput!) { login(input: $input) { ${AUTH_FIELDS} } }`;

// One server for the whole file: every check below counts rows before and after, never from zero.
let server: TestServer;
beforeAll(async () => { server = await startTestServer(); });
afterAll(async () => { await server?.close(); });

async function countUsers(): Promise<number> {
  const [users] = await queryRows<{ n: number }>(server.database, sql`SELECT count(*)::int AS n FROM users`);
  return users!.n;
}

describe('bad input', () => {
  let existing: Awaited<ReturnType<typeof signUpUser>>;
  let rowsBefore: string;

  async function countRows(): Promise<string> {
    const [counts] = await queryRows(server.database, sql`SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM sessions) AS sessions, (SELECT count(*) FROM sessions WHERE revoked_at IS NOT NULL) AS revoked`);
    return JSON.stringify(counts);
  }

  /** Besides accounts and sessions, what a password check leaves behind: security events and counted failures. */
  async function countEverything(): Promise<string> {
    const [counts] = await queryRows(server.database, sql`SELECT (SELECT count(*) FROM security_events) AS events, (SELECT count(*) FROM login_failures) AS failures`);
    return (await countRows()) + JSON.stringify(counts);
  }

  beforeAll(async () => { existing = await signUpUser(server); });
  beforeEach(async () => { rowsBefore = await countRows(); });

  async function expectRefused(query: string, variables: Record<string, unknown>, code: string, headers?: Record<string, string>) {
    const result = await gql(server, query, { variables, headers });
    expect(result.code, JSON.stringify(result.errors)).toBe(code);
    expect(await countRows()).toBe(rowsBefore);
    return result;
  }

  it.each([
    ['an address without @', 'not-an-email'],
    ['an empty address', '   '],
    ['an address over 254 characters', `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.com`],
  ])('refuses %s with BAD_USER_INPUT', async (_label, email) => {
    await expectRefused(SIGN_UP, { input: { email, password: PASSWORD } }, 'BAD_USER_INPUT');
  });

  it('refuses a password shorter than 8 or longer than 1024 characters, without echoing it', async () => {
    await expectRefused(SIGN_UP, { input: { email: uniqueEmail(), password: 'short' } }, 'BAD_USER_INPUT');
    const long = 'p'.repeat(1025);
    const result = await expectRefused(SIGN_UP, { input: { email: uniqueEmail(), password: long } }, 'BAD_USER_INPUT');
    expect(JSON.stringify(result.errors)).not.toContain(long);
    await expectRefused(LOGIN, { input: { email: existing.user.email, password: long } }, 'BAD_USER_INPUT');
  });

  it('reports every bad field of a request in one error: their paths, what is wrong with each, the first in field', async () => {
    const device = { deviceName: 'bad\u0000name', cpuCores: 0 };
    const result = await expectRefused(SIGN_UP, { input: { email: 'not-an-email', password: 'short', device } }, 'BAD_USER_INPUT');
    expect(result.errors).toHaveLength(1);
    const fields = ['input.device.deviceName', 'input.email', 'input.password', 'input.device.cpuCores'];
    expect(result.errors![0]!.extensions).toEqual({
      code: 'BAD_USER_INPUT',
      field: fields[0],
      fields,
      problems: fields.map((field) => ({ field, message: expect.stringMatching(new RegExp(`^${field.replaceAll('.', '\\.')} `)) })),
    });
    expect(result.errors![0]!.message).toBe(result.errors![0]!.extensions!.problems.map((problem: { message: string }) => problem.message).join('; '));
  });

  it('reports every bad argument of a field in one error', async () => {
    const cases: Array<[string, Record<string, unknown>, string[]]> = [
      ['mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }', { c: '', n: 'short' }, ['currentPassword', 'newPassword']],
      ['query($f: Int, $a: String) { mySecurityEvents(first: $f, after: $a) { edges { cursor } } }', { f: 0, a: 'garbage' }, ['first', 'after']],
    ];
    for (const [query, variables, fields] of cases) {
      const result = await gql(server, query, { variables, token: existing.accessToken });
      expect(result.errors, fields.join()).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', field: fields[0], fields }) })]);
    }
  });

  it('answers EMAIL_TAKEN for an email already used, whatever its case and spacing', async () => {
    await expectRefused(SIGN_UP, { input: { email: ` ${existing.user.email.toUpperCase()} `, password: PASSWORD } }, 'EMAIL_TAKEN');
  });

  it('answers an unknown email and a wrong password with the same error', async () => {
    const unknown = await expectRefused(LOGIN, { input: { email: uniqueEmail(), password: PASSWORD } }, 'INVALID_CREDENTIALS');
    const wrong = await expectRefused(LOGIN, { input: { email: existing.user.email, password: `${PASSWORD}!` } }, 'INVALID_CREDENTIALS');
    expect(unknown.errors).toEqual(wrong.errors);
  });

  it('never truncates a password', async () => {
    const password = 'x'.repeat(100);
    const { user } = await signUpUser(server, { password });
    rowsBefore = await countRows();
    await expectRefused(LOGIN, { input: { email: user.email, password: password.slice(0, 72) } }, 'INVALID_CREDENTIALS');
  });

  it.each([
    ['deviceName', 'n'.repeat(256)],
    ['deviceId', 'i'.repeat(256)],
    ['os', 'o'.repeat(256)],
    ['browser', 'b'.repeat(256)],
    ['cpuCores', 0],
    ['cpuCores', 1025],
    ['ramGb', -1],
    ['ramGb', 65_537],
    ['internetSpeedMbps', -0.5],
    ['internetSpeedMbps', 1_000_001],
  ])('refuses device.%s = %s with BAD_USER_INPUT', async (field, value) => {
    const result = await expectRefused(SIGN_UP, { input: { email: uniqueEmail(), password: PASSWORD, device: { [field]: value } } }, 'BAD_USER_INPUT');
    expect(result.errors![0]!.message).toContain(field);
    await expectRefused(LOGIN, { input: { email: existing.user.email, password: PASSWORD, device: { [field]: value } } }, 'BAD_USER_INPUT');
  });

  it('refuses a fractional cpuCores and an infinite ramGb', async () => {
    await expectRefused(SIGN_UP, { input: { email: uniqueEmail(), password: PASSWORD, device: { cpuCores: 2.5 } } }, 'BAD_USER_INPUT');
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      // JSON.parse turns 1e400 into Infinity: the request must still be refused.
      body: `{"query":${JSON.stringify(SIGN_UP)},"variables":{"input":{"email":"${uniqueEmail()}","password":"${PASSWORD}","device":{"ramGb":1e400}}}}`,
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { errors: Array<{ extensions: { code: string } }> };
    expect(body.errors[0]!.extensions.code).toBe('BAD_USER_INPUT');
    expect(await countRows()).toBe(rowsBefore);
  });

  it('refuses an X-Device-Id header over 255 characters', async () => {
    await expectRefused(SIGN_UP, { input: { email: uniqueEmail(), password: PASSWORD } }, 'BAD_USER_INPUT', { 'x-device-id': 'd'.repeat(256) });
  });

  it('accepts values at the bounds and stores a long User-Agent truncated to 512 characters', async () => {
    const device = { deviceName: 'n'.repeat(255), cpuCores: 1024, ramGb: 65_536, internetSpeedMbps: 1_000_000 };
    const { session } = await signUpUser(server, { device }, { 'user-agent': `Mozilla/5.0 ${'u'.repeat(2000)}` });
    expect(session).toMatchObject(device);
    expect(session.userAgent).toHaveLength(512);
  });

  // Regression: Postgres refuses NUL and unpaired surrogates in text, so such input failed with
  // INTERNAL_SERVER_ERROR, and a login with the right password failed after checking it.
  describe.each([['a NUL character', 'bad\u0000text'], ['a lone surrogate', 'bad\ud800text']])('a string with %s', (_label, bad) => {
    it.each(['email', 'password', 'device.deviceName', 'device.deviceId', 'device.os', 'device.browser'])('in %s is BAD_USER_INPUT naming it, for signUp and for login with the right password', async (field) => {
      const withBad = (input: Record<string, unknown>) => {
        const [head, tail] = field.split('.');
        return tail ? { ...input, device: { [tail]: bad } } : { ...input, [head!]: bad };
      };
      const before = await countEverything();
      const signUp = await expectRefused(SIGN_UP, { input: withBad({ email: uniqueEmail(), password: PASSWORD }) }, 'BAD_USER_INPUT');
      expect(signUp.errors![0]!.extensions).toMatchObject({ field: `input.${field}`, fields: [`input.${field}`] });
      const login = await expectRefused(LOGIN, { input: withBad({ email: existing.user.email, password: PASSWORD }) }, 'BAD_USER_INPUT');
      expect(login.errors![0]!.extensions).toMatchObject({ field: `input.${field}`, fields: [`input.${field}`] });
      // Nothing was checked, so nothing counts as a failed login either.
      expect(await countEverything()).toBe(before);
    });

    it('in a refresh token or a password to check or to set is BAD_USER_INPUT naming it', async () => {
      const cases: Array<[string, Record<string, unknown>, string]> = [
        ['mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }', { t: bad }, 'refreshToken'],
        ['mutation($p: String!) { reauthenticate(password: $p) }', { p: bad }, 'password'],
        ['mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }', { c: bad, n: 'a new passphrase' }, 'currentPassword'],
        ['mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }', { c: PASSWORD, n: `${bad} long enough` }, 'newPassword'],
      ];
      const before = await countEverything();
      for (const [query, variables, field] of cases) {
        const result = await gql(server, query, { variables, token: existing.accessToken });
        expect(result.code, field).toBe('BAD_USER_INPUT');
        expect(result.errors![0]!.extensions).toMatchObject({ field, fields: [field] });
      }
      expect(await countEverything()).toBe(before);
      expect((await gql(server, '{ me { id } }', { token: existing.accessToken })).status).toBe(200);
    });
  });

  it('refuses a session id that is not a UUID with BAD_USER_INPUT', async () => {
    const result = await gql(server, 'mutation { revokeSession(id: "1 OR 1=1") }', { token: existing.accessToken });
    expect(result.code).toBe('BAD_USER_INPUT');
    expect(await countRows()).toBe(rowsBefore);
  });
});

// Headers that become columns (the User-Agent, X-Device-Id, Client Hints) are cleaned, not refused:
// a client cannot be asked to fix its User-Agent.
describe('control characters in headers', () => {

  const signUpBody = () => JSON.stringify({ query: SIGN_UP, variables: { input: { email: uniqueEmail(), password: PASSWORD } } });

  /**
   * Posts over a bare socket, each character of the headers sent as one byte (latin1), as any
   * client may: fetch and Node's own client refuse control characters, or send them as UTF-8.
   */
  async function postRaw(headers: Record<string, string>, body: string): Promise<{ status: number; body: string }> {
    const { port } = new URL(server.url);
    const fields = { host: '127.0.0.1', 'content-type': 'application/json', ...headers, 'content-length': String(Buffer.byteLength(body)), connection: 'close' };
    const head = `POST /graphql HTTP/1.1\r\n${Object.entries(fields).map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n`;
    const answer = await new Promise<string>((resolve, reject) => {
      // Written, not ended: a half-closed socket may lose the answer. `connection: close` ends it.
      const socket = connect(Number(port), '127.0.0.1', () => socket.write(Buffer.concat([Buffer.from(head, 'latin1'), Buffer.from(body)])));
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('end', () => resolve(Buffer.concat(chunks).toString()));
      socket.on('error', reject);
    });
    const [status, ...rest] = answer.split('\r\n\r\n');
    const content = rest.join('\r\n\r\n');
    // A chunked answer this small is one chunk: its size line, then the data.
    const isChunked = /^transfer-encoding: chunked$/im.test(status!);
    return { status: Number(status!.split(' ')[1]), body: isChunked ? content.split('\r\n')[1]! : content };
  }

  it('never sees a NUL in a header: Node answers 400 before the server runs', async () => {
    const before = await countUsers();
    const answer = await postRaw({ 'user-agent': 'curl/8.5.0\u0000evil' }, signUpBody());
    expect(answer.status).toBe(400);
    expect(await countUsers()).toBe(before);
  });

  it('signs in with control characters in the User-Agent, X-Device-Id and Client Hints, and stores them without', async () => {
    const answer = await postRaw({
      'user-agent': 'Mozilla/5.0 (X11; Linux x86_64)\x85 Gecko/20100101\tFirefox/126.0',
      'x-device-id': 'device\x9f-1',
      'sec-ch-ua-platform': '"Lin\x80ux"',
    }, signUpBody());
    expect(answer.status).toBe(200);
    const { accessToken } = (JSON.parse(answer.body) as { data: { signUp: AuthPayload } }).data.signUp;
    const listed = await gql(server, '{ mySessions { userAgent deviceId os } }', { token: accessToken });
    expect(listed.data!.mySessions).toEqual([{ userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101Firefox/126.0', deviceId: 'device-1', os: 'Linux' }]);
    const events = await gql(server, '{ mySecurityEvents { edges { node { type } } } }', { token: accessToken });
    expect(events.errors).toBeUndefined();
  });
});

describe('requests that are not GraphQL', () => {

  async function post(body: string | Uint8Array, contentType = 'application/json', headers: Record<string, string> = {}): Promise<{ status: number; code: string | undefined }> {
    const response = await fetch(server.url, { method: 'POST', headers: { 'content-type': contentType, ...headers }, body });
    const json = (await response.json()) as { errors?: Array<{ extensions?: { code?: string } }> };
    return { status: response.status, code: json.errors?.[0]?.extensions?.code };
  }

  const signUpBody = (padding = '') => JSON.stringify({
    query: `mutation { signUp(input: { email: "${uniqueEmail()}", password: "${PASSWORD}" }) { accessToken } }`,
    padding,
  });

  it.each([
    ['malformed JSON', () => post('{"query": "mutation {', 'application/json'), 400, 'BAD_REQUEST'],
    ['a non-JSON content type', () => post(signUpBody(), 'text/plain'), 415, 'BAD_REQUEST'],
    ['a form body', () => post('query=mutation', 'application/x-www-form-urlencoded'), 415, 'BAD_REQUEST'],
    ['a body over 100 kB', () => post(signUpBody('x'.repeat(101 * 1024))), 413, 'BAD_REQUEST'],
    ['a charset other than UTF-8', () => post(signUpBody(), 'application/json; charset=iso-8859-1'), 415, 'BAD_REQUEST'],
    ['a compressed body, never inflated', () => post(gzipSync(signUpBody()), 'application/json', { 'content-encoding': 'gzip' }), 415, 'BAD_REQUEST'],
    ['JSON that is neither an object nor an array', () => post('"mutation { signUp }"'), 400, 'BAD_REQUEST'],
    ['a GraphQL syntax error', () => post(JSON.stringify({ query: 'mutation { signUp(input: { ' })), 400, 'GRAPHQL_PARSE_FAILED'],
    ['an unknown field', () => post(JSON.stringify({ query: '{ nope }' })), 400, 'GRAPHQL_VALIDATION_FAILED'],
  ])('answers %s with a clear 4xx and writes nothing', async (_label, send, status, code) => {
    const before = await countUsers();
    const result = await send();
    expect(result).toEqual({ status, code });
    expect(await countUsers()).toBe(before);
  });

  it('answers a body that runs past the limit with 413 and closes the connection instead of reading on', async () => {
    const { hostname, port } = new URL(server.url);
    const socket = connect(Number(port), hostname);
    await once(socket, 'connect');
    let answer = '';
    socket.on('data', (chunk: Buffer) => { answer += chunk.toString('latin1'); });
    const closed = once(socket, 'close');
    // Chunked, so no Content-Length to refuse it up front, and never finished: only the limit ends it.
    socket.write('POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n');
    const chunk = 'x'.repeat(16 * 1024);
    for (let sent = 0; sent <= 110 * 1024; sent += chunk.length) socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    await closed;
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toMatch(/^connection: close$/im);
  });

  it('refuses a mutation sent over GET', async () => {
    const query = encodeURIComponent(`mutation { signUp(input: { email: "${uniqueEmail()}", password: "${PASSWORD}" }) { accessToken } }`);
    const response = await fetch(`${server.url}?query=${query}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(response.status).toBe(405);
  });
});
