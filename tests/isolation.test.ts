import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, signUpUser } from './helpers/graphql.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const REVOKE = 'mutation($id: ID!) { revokeSession(id: $id) }';

describe('two users', () => {
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer(); });
  afterAll(async () => { await server.close(); });

  it("cannot see each other's sessions", async () => {
    const alice = await signUpUser(server);
    const bob = await signUpUser(server);
    const listed = await gql(server, '{ mySessions { id } }', { token: alice.accessToken });
    expect(listed.data!.mySessions).toEqual([{ id: alice.session.id }]);
    expect(JSON.stringify(listed.data)).not.toContain(bob.session.id);
  });

  it("cannot revoke each other's sessions, and learn nothing from trying", async () => {
    const alice = await signUpUser(server);
    const bob = await signUpUser(server);
    const foreign = await gql(server, REVOKE, { token: alice.accessToken, variables: { id: bob.session.id } });
    const unknown = await gql(server, REVOKE, { token: alice.accessToken, variables: { id: crypto.randomUUID() } });
    expect(foreign.code).toBe('NOT_FOUND');
    expect(unknown.code).toBe('NOT_FOUND');
    expect(foreign.errors![0]!.message).toBe(unknown.errors![0]!.message);
    expect((await gql(server, '{ me { id } }', { token: bob.accessToken })).data).toEqual({ me: { id: bob.user.id } });
  });

  it('answers NOT_FOUND for a session that is already revoked', async () => {
    const alice = await signUpUser(server);
    const second = await signUpUser(server, { email: alice.user.email.replace('@', '+2@') });
    expect(second.user.id).not.toBe(alice.user.id);
    const first = await gql(server, REVOKE, { token: alice.accessToken, variables: { id: alice.session.id } });
    expect(first.data).toEqual({ revokeSession: true });
    const again = await gql(server, REVOKE, { token: second.accessToken, variables: { id: alice.session.id } });
    expect(again.code).toBe('NOT_FOUND');
  });

  it("leaves other users' sessions alone on revokeOtherSessions and revokeAllSessions", async () => {
    const alice = await signUpUser(server);
    const bob = await signUpUser(server);
    expect((await gql(server, 'mutation { revokeOtherSessions }', { token: alice.accessToken })).data).toEqual({ revokeOtherSessions: 0 });
    expect((await gql(server, 'mutation { revokeAllSessions }', { token: alice.accessToken })).data).toEqual({ revokeAllSessions: 1 });
    expect((await gql(server, '{ me { id } }', { token: bob.accessToken })).data).toEqual({ me: { id: bob.user.id } });
  });

  it('lets a user revoke their own current session by id', async () => {
    const alice = await signUpUser(server);
    expect((await gql(server, REVOKE, { token: alice.accessToken, variables: { id: alice.session.id } })).data).toEqual({ revokeSession: true });
    expect((await gql(server, '{ me { id } }', { token: alice.accessToken })).status).toBe(401);
  });
});
