// Every response carries a request id, and every log line written for that request carries it too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUpUser } from './helpers/graphql.js';
import { startTestServer, type TestServer } from './helpers/server.js';

describe('request ids', () => {
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer(); });
  afterAll(async () => { await server.close(); });

  const post = (headers: Record<string, string>) =>
    fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{"query":"{ __typename }"}' });

  it("keeps a sane client id, replaces anything else, and echoes it", async () => {
    expect((await post({ 'x-request-id': 'req-42.abc' })).headers.get('x-request-id')).toBe('req-42.abc');
    const replaced = (await post({ 'x-request-id': 'evil\tid with spaces' })).headers.get('x-request-id');
    expect(replaced).toMatch(/^[0-9a-f-]{36}$/);
    expect((await post({})).headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('puts the id on the log lines of the services that handled the request', async () => {
    const user = await signUpUser(server, {}, { 'x-request-id': 'signup-request-7' });
    const lines = server.logs().trim().split('\n').map((line) => JSON.parse(line) as { msg: string; requestId?: string; userId?: string });
    const mine = lines.filter((line) => line.userId === user.user.id);
    expect(mine.map((line) => line.msg)).toEqual(expect.arrayContaining(['session created', 'security event', 'account created']));
    expect(mine.every((line) => line.requestId === 'signup-request-7')).toBe(true);
  });
});
