import { afterEach, describe, expect, it } from 'vitest';
import { signUpUser } from './helpers/graphql.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const SPOOFED = { 'x-forwarded-for': '203.0.113.9, 198.51.100.7' };

describe('recorded IP address', () => {
  let server: TestServer | undefined;
  afterEach(async () => { await server?.close(); server = undefined; });

  it('is the socket peer, and X-Forwarded-For is ignored without TRUST_PROXY', async () => {
    server = await startTestServer();
    const { session } = await signUpUser(server, {}, SPOOFED);
    expect(session.ipAddress).toBe('127.0.0.1');
  });

  it('cannot be chosen through the input', async () => {
    server = await startTestServer();
    const signUp = signUpUser(server, { device: { ipAddress: '203.0.113.9' } });
    await expect(signUp).rejects.toThrow(/ipAddress/);
  });

  it('peels exactly the trusted hops with a hop count', async () => {
    server = await startTestServer({ TRUST_PROXY: '1' });
    const { session } = await signUpUser(server, {}, SPOOFED);
    // One trusted proxy (the socket peer) added the last entry; anything before it is the client's claim.
    expect(session.ipAddress).toBe('198.51.100.7');
  });

  it('walks back through a list of trusted proxies only', async () => {
    server = await startTestServer({ TRUST_PROXY: '127.0.0.1, 198.51.100.0/24' });
    const { session } = await signUpUser(server, {}, SPOOFED);
    expect(session.ipAddress).toBe('203.0.113.9');
  });

  it('stops at the first untrusted hop', async () => {
    server = await startTestServer({ TRUST_PROXY: '127.0.0.1' });
    const { session } = await signUpUser(server, {}, SPOOFED);
    expect(session.ipAddress).toBe('198.51.100.7');
  });

  it('ignores X-Forwarded-For when the socket peer is not a trusted proxy', async () => {
    server = await startTestServer({ TRUST_PROXY: '10.0.0.0/8' });
    const { session } = await signUpUser(server, {}, SPOOFED);
    expect(session.ipAddress).toBe('127.0.0.1');
  });
});
