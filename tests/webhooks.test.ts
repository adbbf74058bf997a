// Session events reach apps' backends: Standard Webhooks verified with the official library, CAEP
// Security Event Tokens and Logout Tokens verified with jose against the server's JWKS.
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, loginUser, PASSWORD, signUpUser } from './helpers/graphql.js';
import { createEndpoint, Receiver } from './helpers/receiver.js';
import { newServiceKey } from './helpers/service-keys.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { MAC_CHROME } from './helpers/user-agents.js';
import { waitFor } from './helpers/ws.js';
import { receiveSessionEvents, type SessionEvent } from '../examples/webhook-receiver.js';

const REVOKE = 'mutation($id: ID!) { revokeSession(id: $id) }';
const CAEP = 'https://schemas.openid.net/secevent/caep/event-type';

describe('session events for backends', () => {
  let server: TestServer;
  let receiver: Receiver;
  let key: string;
  let secret: string;
  let origin: string;

  beforeAll(async () => {
    server = await startTestServer();
    origin = new URL(server.url).origin;
    receiver = await Receiver.start();
    key = await newServiceKey(server, 'backend', ['webhooks:manage', 'sessions:revoke']);
    secret = (await createEndpoint(server, key, { url: receiver.url, description: 'all events' })).secret!;
  });
  afterAll(async () => {
    await receiver?.close();
    await server?.close();
  });

  /** The Standard Webhooks events received for one session, verified, in arrival order. */
  function eventsOf(sessionId: string) {
    const verifier = new Webhook(secret);
    return receiver.requests
      .map((request) => verifier.verify(request.body, request.headers as Record<string, string>) as { type: string; id: string; timestamp: string; data: Record<string, any> })
      .filter((event) => event.data.sessionId === sessionId);
  }

  it('tells of a sign-in and of its end by another device, signed so a Standard Webhooks library verifies it', async () => {
    const laptop = await signUpUser(server);
    const phone = await loginUser(server, laptop.user.email, {}, { 'user-agent': MAC_CHROME, 'x-forwarded-for': '81.2.69.142' });
    expect((await gql(server, REVOKE, { token: laptop.accessToken, variables: { id: phone.session.id } })).data).toEqual({ revokeSession: true });

    await waitForEvents(() => eventsOf(phone.session.id), 2);
    const [created, ended] = eventsOf(phone.session.id);
    expect(created).toMatchObject({
      type: 'session.created',
      data: { userId: laptop.user.id, externalId: null, sessionId: phone.session.id, isNewDevice: expect.any(Boolean), actor: { initiatedBy: 'user' } },
    });
    expect(ended).toMatchObject({
      type: 'session.ended',
      data: {
        userId: laptop.user.id, sessionId: phone.session.id, reason: 'REVOKED', deviceName: phone.session.deviceName,
        actor: { initiatedBy: 'user', sessionId: laptop.session.id, serviceKey: null },
      },
    });
    expect(new Date(ended!.timestamp).getTime()).toBeGreaterThanOrEqual(new Date(created!.timestamp).getTime());
    expect(ended!.id).not.toBe(created!.id);
  });

  it('has every header a receiver verifies, and a tampered body fails verification', async () => {
    const user = await signUpUser(server);
    await waitForEvents(() => eventsOf(user.session.id), 1);
    const request = receiver.requests.find((candidate) => candidate.body.includes(user.session.id))!;
    expect(request.headers).toMatchObject({ 'content-type': 'application/json', 'webhook-id': expect.any(String), 'webhook-timestamp': expect.stringMatching(/^\d+$/) });
    expect(request.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    const verifier = new Webhook(secret);
    expect(() => verifier.verify(request.body.replace(user.user.id, '00000000-0000-4000-8000-000000000000'), request.headers as Record<string, string>)).toThrow();
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 7).toString('base64')}`).verify(request.body, request.headers as Record<string, string>)).toThrow();
  });

  it('tells a revocation by a service key, with its name and reason, and a password change', async () => {
    const user = await signUpUser(server);
    const other = await loginUser(server, user.user.email);
    const revoked = await gql(server, 'mutation($where: UserSessionsWhere!) { revokeUserSessions(where: $where, reason: "support ticket 42") }', {
      token: key, variables: { where: { userId: user.user.id, sessionIds: [other.session.id] } },
    });
    expect(revoked.data).toEqual({ revokeUserSessions: 1 });
    const changed = await gql(server, 'mutation($current: String!, $new: String!) { changePassword(currentPassword: $current, newPassword: $new, signOutOtherSessions: false) }', {
      token: user.accessToken, variables: { current: PASSWORD, new: `${PASSWORD} 2` },
    });
    expect(changed.errors).toBeUndefined();

    await waitForEvents(() => eventsOf(other.session.id), 2);
    expect(eventsOf(other.session.id)[1]).toMatchObject({
      type: 'session.ended',
      data: { reason: 'REVOKED', note: 'support ticket 42', actor: { initiatedBy: 'admin', serviceKey: 'backend', sessionId: null } },
    });
    await waitFor(() => receiver.events().some((event) => event.type === 'user.password_changed' && event.data.userId === user.user.id), 'the password change');
    expect(receiver.events().find((event) => event.type === 'user.password_changed' && event.data.userId === user.user.id)).toMatchObject({
      data: { sessionId: null, actor: { initiatedBy: 'user', sessionId: user.session.id } },
    });
  });

  it('tells refreshes and renames, and a reused refresh token before the end it causes', async () => {
    const user = await signUpUser(server);
    const refresh = (token: string) => gql<{ refreshSession: { accessToken: string } }>(server, 'mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }', { variables: { t: token } });
    const first = await refresh(user.refreshToken);
    expect(first.errors).toBeUndefined();
    const renamed = await gql(server, 'mutation($id: ID!) { renameSession(id: $id, name: "Work laptop") { id } }', { token: first.data!.refreshSession.accessToken, variables: { id: user.session.id } });
    expect(renamed.errors).toBeUndefined();
    expect((await refresh(user.refreshToken)).code).toBe('UNAUTHENTICATED');

    await waitForEvents(() => eventsOf(user.session.id), 5);
    expect(eventsOf(user.session.id).map((event) => event.type)).toEqual([
      'session.created', 'session.refreshed', 'session.renamed', 'session.refresh_token_reused', 'session.ended',
    ]);
    expect(eventsOf(user.session.id)[2]!.data.deviceName).toBe('Work laptop');
    expect(eventsOf(user.session.id)[4]!.data).toMatchObject({ reason: 'REFRESH_TOKEN_REUSE', actor: { initiatedBy: 'system' } });
  });

  it('sends a CAEP session-revoked Security Event Token, verified against /.well-known/jwks.json', async () => {
    const caep = await Receiver.start();
    caep.behaviour = { status: 202 };
    try {
      const created = await createEndpoint(server, key, { url: caep.url, format: 'SECURITY_EVENT_TOKEN', audience: 'https://receiver.example' });
      expect(created).toMatchObject({ secret: null, endpoint: { eventTypes: ['SESSION_CREATED', 'SESSION_ENDED', 'PASSWORD_CHANGED'], audience: 'https://receiver.example' } });
      const user = await signUpUser(server);
      const other = await loginUser(server, user.user.email);
      await gql(server, REVOKE, { token: user.accessToken, variables: { id: other.session.id } });

      const jwks = createRemoteJWKSet(new URL('/.well-known/jwks.json', origin));
      await caep.waitForRequests(3, 'established, established, revoked');
      const tokens = await Promise.all(caep.requests.map(async (request) => {
        expect(request.headers['content-type']).toBe('application/secevent+jwt');
        expect(decodeProtectedHeader(request.body)).toMatchObject({ alg: 'ES256', typ: 'secevent+jwt', kid: expect.any(String) });
        return (await jwtVerify(request.body, jwks, { issuer: origin, audience: 'https://receiver.example', typ: 'secevent+jwt' })).payload;
      }));
      const revoked = tokens.find((token) => (token.sub_id as any).session.id === other.session.id && `${CAEP}/session-revoked` in (token.events as object))!;
      expect(revoked).toMatchObject({
        iss: origin,
        jti: expect.any(String),
        sub_id: { format: 'complex', user: { format: 'iss_sub', iss: origin, sub: user.user.id }, session: { format: 'opaque', id: other.session.id } },
        events: { [`${CAEP}/session-revoked`]: { initiating_entity: 'user', reason_admin: { en: expect.stringContaining('another') }, event_timestamp: expect.any(Number) } },
      });
      expect(tokens.filter((token) => `${CAEP}/session-established` in (token.events as object))).toHaveLength(2);
      await expect(jwtVerify(caep.requests[0]!.body, jwks, { audience: 'https://someone-else.example' })).rejects.toThrow();
    } finally {
      await caep.close();
    }
  });

  it('sends an OpenID back-channel Logout Token with sid for each ended session', async () => {
    const logout = await Receiver.start();
    logout.behaviour = { status: 200 };
    try {
      await createEndpoint(server, key, { url: logout.url, format: 'BACK_CHANNEL_LOGOUT', audience: 'my-client' });
      const user = await signUpUser(server);
      await gql(server, 'mutation { logout }', { token: user.accessToken });
      await logout.waitForRequests(1);
      const [request] = logout.requests;
      expect(request!.headers['content-type']).toBe('application/x-www-form-urlencoded');
      const token = new URLSearchParams(request!.body).get('logout_token')!;
      const { payload, protectedHeader } = await jwtVerify(token, createRemoteJWKSet(new URL('/.well-known/jwks.json', origin)), { issuer: origin, audience: 'my-client' });
      expect(protectedHeader.typ).toBe('logout+jwt');
      expect(payload).toMatchObject({ sub: user.user.id, sid: user.session.id, events: { 'http://schemas.openid.net/event/backchannel-logout': {} }, exp: expect.any(Number) });
      expect(logout.requests).toHaveLength(1);
    } finally {
      await logout.close();
    }
  });

  it('is received by the README example, which is in the README as written', async () => {
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(`\`\`\`ts\n${await readFile(new URL('../examples/webhook-receiver.ts', import.meta.url), 'utf8')}\`\`\``);
    const port = await freePort();
    const { secret: exampleSecret, endpoint: exampleEndpoint } = await createEndpoint(server, key, { url: `http://127.0.0.1:${port}/`, eventTypes: ['SESSION_CREATED', 'SESSION_ENDED'] });
    const heard: SessionEvent[] = [];
    const example = receiveSessionEvents(exampleSecret!, (event) => heard.push(event)).listen(port, '127.0.0.1');
    try {
      const user = await signUpUser(server);
      await gql(server, 'mutation { logout }', { token: user.accessToken });
      await waitFor(() => heard.filter((event) => event.data.sessionId === user.session.id).length === 2, 'both events at the example');
      expect(heard.filter((event) => event.data.sessionId === user.session.id)).toMatchObject([
        { type: 'session.created', data: { userId: user.user.id, isNewDevice: expect.any(Boolean) } },
        { type: 'session.ended', data: { reason: 'LOGOUT' } },
      ]);
    } finally {
      await new Promise((resolve) => example.close(resolve));
      await gql(server, 'mutation($id: ID!) { disableWebhookEndpoint(id: $id) { id } }', { token: key, variables: { id: exampleEndpoint.id } });
    }
  });

  it('sends an endpoint only the event types it asked for', async () => {
    const endsOnly = await Receiver.start();
    try {
      // By name, so the address check at connect time (the guarded lookup) lets a loopback name through outside production.
      await createEndpoint(server, key, { url: endsOnly.url.replace('127.0.0.1', 'localhost'), eventTypes: ['SESSION_ENDED'] });
      const user = await signUpUser(server);
      await gql(server, 'mutation { logout }', { token: user.accessToken });
      await endsOnly.waitForRequests(1);
      // The catch-all endpoint hearing of the logout means the filtered one had its chance at the sign-up too.
      await waitForEvents(() => eventsOf(user.session.id), 2);
      expect(endsOnly.events().map((event) => event.type)).toEqual(['session.ended']);
    } finally {
      await endsOnly.close();
    }
  });
});

async function waitForEvents(events: () => unknown[], count: number): Promise<void> {
  await waitFor(() => events().length >= count, `${count} events`);
}

async function freePort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
