// What the client throws: one class per code a caller acts on, built from the answer's extensions.
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BadUserInputError, NotFoundError, RateLimitedError, ReauthenticationRequiredError, SessionClientError, UnauthenticatedError } from '../src/client/index.js';
import { PASSWORD, signUpUser, uniqueEmail } from './helpers/graphql.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { listening, sessionClients } from './helpers/session-client.js';

describe('the typed errors of the client', () => {
  let server: TestServer;
  const clients = sessionClients(() => server);
  beforeAll(async () => { server = await startTestServer({ LOGIN_MAX_FAILURES_PER_EMAIL_IP: '2', FRESH_AUTH_SECONDS: '60' }); });
  afterEach(() => clients.disposeAll());
  afterAll(async () => { await server.close(); });

  it('BAD_USER_INPUT names the field', async () => {
    const { client } = clients.create();
    const error = await client.login({ email: 'not an email', password: PASSWORD }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BadUserInputError);
    expect(error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.email', fields: ['input.email'], problems: [{ field: 'input.email', message: expect.stringMatching(/^input\.email /) }] });
  });

  it('RATE_LIMITED carries retryAfterSeconds; other codes keep theirs on the base class', async () => {
    const { user } = await signUpUser(server);
    const { client } = clients.create();
    for (let attempt = 0; attempt < 2; attempt += 1) {
      await expect(client.login({ email: user.email, password: 'wrong password' })).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    }
    const error = await client.login({ email: user.email, password: PASSWORD }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfterSeconds).toBeGreaterThan(0);
    await expect(client.signUp({ email: user.email, password: PASSWORD })).rejects.toSatisfy(
      (caught) => caught instanceof SessionClientError && caught.code === 'EMAIL_TAKEN',
    );
  });

  it('REAUTHENTICATION_REQUIRED until reauthenticate, NOT_FOUND for an unknown session, UNAUTHENTICATED signed out', async () => {
    const { client } = clients.create();
    await client.signUp({ email: uniqueEmail(), password: PASSWORD });
    await listening(server);
    server.clock.advance(61);
    await expect(client.revokeOtherSessions()).rejects.toBeInstanceOf(ReauthenticationRequiredError);
    expect(await client.reauthenticate(PASSWORD)).toBe(true);
    expect(await client.revokeOtherSessions()).toBe(0);
    await expect(client.revokeSession(randomUUID())).rejects.toBeInstanceOf(NotFoundError);
    await client.logout();
    await expect(client.revokeOtherSessions()).rejects.toBeInstanceOf(UnauthenticatedError);
  });
});
