// The webhook endpoints' admin API (webhooks:manage): who may use it, the URL rules against
// server-side request forgery, rotation, disabling (by a key, or by a 410), failure and redelivery.
import { sql } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, signUpUser } from './helpers/graphql.js';
import { createEndpoint, Receiver } from './helpers/receiver.js';
import { newServiceKey } from './helpers/service-keys.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { waitFor } from './helpers/ws.js';

const CREATE = 'mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret endpoint { id } } }';
const ENDPOINTS = '{ webhookEndpoints { id url disabledAt disabledReason } }';
const DELIVERIES = `query($id: ID!, $status: WebhookDeliveryStatus!) {
  webhookDeliveries(endpointId: $id, status: $status) { edges { node { id eventType status attempts lastResponseStatus lastError sessionId } } }
}`;

interface Delivery { id: string; eventType: string; status: string; attempts: number; lastResponseStatus: number | null; lastError: string | null; sessionId: string | null }

async function deliveriesOf(server: TestServer, key: string, id: string, status: string): Promise<Delivery[]> {
  const result = await gql<{ webhookDeliveries: { edges: Array<{ node: Delivery }> } }>(server, DELIVERIES, { token: key, variables: { id, status } });
  if (!result.data) throw new Error(JSON.stringify(result.errors));
  return result.data.webhookDeliveries.edges.map((edge) => edge.node);
}

describe('the webhook endpoints admin API', () => {
  let server: TestServer;
  let key: string;
  beforeAll(async () => {
    server = await startTestServer({ WEBHOOK_MAX_BACKOFF_SECONDS: '1', WEBHOOK_TIMEOUT_SECONDS: '1' });
    key = await newServiceKey(server, 'ops', ['webhooks:manage']);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('is for a service key with webhooks:manage only', async () => {
    const user = await signUpUser(server);
    const reader = await newServiceKey(server, 'reader', ['sessions:admin']);
    expect((await gql(server, ENDPOINTS)).code).toBe('UNAUTHENTICATED');
    expect((await gql(server, ENDPOINTS, { token: user.accessToken })).code).toBe('FORBIDDEN');
    const refused = await gql(server, CREATE, { token: reader, variables: { input: { url: 'https://example.com/hooks' } } });
    expect(refused.code).toBe('FORBIDDEN');
    expect(refused.errors?.[0]?.message).toContain('webhooks:manage');
  });

  it('refuses URLs that would reach inside the network, and writes nothing', async () => {
    const before = (await gql(server, ENDPOINTS, { token: key })).data!.webhookEndpoints.length;
    for (const [url, words] of [
      ['http://example.com/hooks', 'loopback host only'],
      ['https://10.1.2.3/hooks', 'private'],
      ['https://169.254.169.254/latest/meta-data', 'linkLocal'],
      ['https://[fd00::1]/hooks', 'uniqueLocal'],
      ['https://224.0.0.1/hooks', 'never allowed'],
      ['https://user:pass@example.com/hooks', 'credentials'],
      ['ftp://example.com/hooks', 'https://'],
      ['not a url', 'Not a URL'],
    ] as const) {
      const result = await gql(server, CREATE, { token: key, variables: { input: { url } } });
      expect(result.code, url).toBe('BAD_USER_INPUT');
      expect(result.errors?.[0]?.extensions?.field, url).toBe('input.url');
      expect(result.errors?.[0]?.message, url).toContain(words);
    }
    const wrongTypes = await gql(server, CREATE, { token: key, variables: { input: { url: 'https://example.com/caep', format: 'BACK_CHANNEL_LOGOUT', eventTypes: ['SESSION_CREATED'] } } });
    expect(wrongTypes.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.eventTypes' });
    expect((await gql(server, ENDPOINTS, { token: key })).data!.webhookEndpoints).toHaveLength(before);
  });

  it('rotates a secret: for a while both the old and the new one sign', async () => {
    const receiver = await Receiver.start();
    try {
      const created = await createEndpoint(server, key, { url: receiver.url, eventTypes: ['SESSION_CREATED'] });
      const rotated = await gql<{ rotateWebhookSecret: { secret: string; endpoint: { previousSecretExpiresAt: string } } }>(
        server, 'mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret endpoint { previousSecretExpiresAt } } }', { token: key, variables: { id: created.endpoint.id } },
      );
      const { secret, endpoint } = rotated.data!.rotateWebhookSecret;
      expect(secret).toMatch(/^whsec_/);
      expect(secret).not.toBe(created.secret);
      expect(new Date(endpoint.previousSecretExpiresAt).getTime()).toBeGreaterThan(Date.now() + 23 * 3600_000);
      await signUpUser(server);
      const [request] = await receiver.waitForRequests(1);
      expect(String(request!.headers['webhook-signature']).split(' ')).toHaveLength(2);
      for (const each of [secret, created.secret!]) expect(() => new Webhook(each).verify(request!.body, request!.headers as Record<string, string>)).not.toThrow();
      const tokenFormat = await createEndpoint(server, key, { url: receiver.url, format: 'SECURITY_EVENT_TOKEN' });
      const noSecret = await gql(server, 'mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret } }', { token: key, variables: { id: tokenFormat.endpoint.id } });
      expect(noSecret.code).toBe('NOT_FOUND');
      await gql(server, 'mutation($id: ID!) { disableWebhookEndpoint(id: $id) { id } }', { token: key, variables: { id: tokenFormat.endpoint.id } });
    } finally {
      await receiver.close();
    }
  });

  it('holds deliveries while an endpoint is disabled, by a key or by answering 410, and sends them once it is enabled', async () => {
    const receiver = await Receiver.start();
    try {
      const { endpoint } = await createEndpoint(server, key, { url: receiver.url, eventTypes: ['SESSION_CREATED'] });
      receiver.behaviour = { status: 410 };
      const first = await signUpUser(server);
      await receiver.waitForRequests(1);
      await waitFor(async () => (await gql(server, ENDPOINTS, { token: key })).data!.webhookEndpoints.some((each: any) => each.id === endpoint.id && each.disabledReason === 'GONE'), 'disabled as GONE');
      const second = await signUpUser(server);
      receiver.behaviour = { status: 204 };
      const enabled = await gql(server, 'mutation($id: ID!) { enableWebhookEndpoint(id: $id) { disabledAt } }', { token: key, variables: { id: endpoint.id } });
      expect(enabled.data).toEqual({ enableWebhookEndpoint: { disabledAt: null } });
      await receiver.waitForRequests(2);
      // Only the event that waited: none was written for the endpoint while it was disabled.
      await waitFor(async () => (await deliveriesOf(server, key, endpoint.id, 'DELIVERED')).length === 1, 'the held delivery');
      expect(receiver.events().map((event) => event.data.sessionId)).toEqual([first.session.id, first.session.id]);
      expect(receiver.events().some((event) => event.data.sessionId === second.session.id)).toBe(false);

      const disabled = await gql(server, 'mutation($id: ID!) { disableWebhookEndpoint(id: $id) { disabledReason } }', { token: key, variables: { id: endpoint.id } });
      expect(disabled.data).toEqual({ disableWebhookEndpoint: { disabledReason: 'ops' } });
      const unknown = await gql(server, 'mutation($id: ID!) { disableWebhookEndpoint(id: $id) { id } }', { token: key, variables: { id: '00000000-0000-4000-8000-000000000000' } });
      expect(unknown.code).toBe('NOT_FOUND');
    } finally {
      await receiver.close();
    }
  });

  it('gives up on an answer that takes longer than WEBHOOK_TIMEOUT_SECONDS, and tries again', async () => {
    const receiver = await Receiver.start();
    try {
      const { endpoint } = await createEndpoint(server, key, { url: receiver.url, eventTypes: ['SESSION_CREATED'] });
      receiver.behaviour = { status: 204, hang: true };
      await signUpUser(server);
      await waitFor(async () => (await deliveriesOf(server, key, endpoint.id, 'PENDING'))[0]?.lastError === 'no answer within 1 s', 'the timeout');
      receiver.behaviour = { status: 204 };
      await waitFor(async () => (await deliveriesOf(server, key, endpoint.id, 'DELIVERED')).length === 1, 'the retry');
      expect(receiver.requests.length).toBeGreaterThanOrEqual(2);
      await gql(server, 'mutation($id: ID!) { disableWebhookEndpoint(id: $id) { id } }', { token: key, variables: { id: endpoint.id } });
    } finally {
      await receiver.close();
    }
  });

  it('pages an endpoint\'s deliveries newest first, and refuses a cursor it did not give', async () => {
    const receiver = await Receiver.start();
    receiver.behaviour = { status: 500 };
    try {
      const { endpoint } = await createEndpoint(server, key, { url: receiver.url, eventTypes: ['SESSION_CREATED'] });
      const users = [await signUpUser(server), await signUpUser(server), await signUpUser(server)];
      await waitFor(async () => (await deliveriesOf(server, key, endpoint.id, 'PENDING')).length === 3, 'three deliveries');
      const PAGE = `query($id: ID!, $after: String) {
        webhookDeliveries(endpointId: $id, status: PENDING, first: 2, after: $after) { edges { node { sessionId } } pageInfo { hasNextPage hasPreviousPage endCursor } }
      }`;
      const first = (await gql(server, PAGE, { token: key, variables: { id: endpoint.id } })).data!.webhookDeliveries;
      expect(first.edges.map((edge: any) => edge.node.sessionId)).toEqual([users[2]!.session.id, users[1]!.session.id]);
      expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
      const second = (await gql(server, PAGE, { token: key, variables: { id: endpoint.id, after: first.pageInfo.endCursor } })).data!.webhookDeliveries;
      expect(second.edges.map((edge: any) => edge.node.sessionId)).toEqual([users[0]!.session.id]);
      expect(second.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
      const forged = await gql(server, PAGE, { token: key, variables: { id: endpoint.id, after: 'bm90LWEtY3Vyc29y' } });
      expect(forged.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
      await gql(server, 'mutation($id: ID!) { disableWebhookEndpoint(id: $id) { id } }', { token: key, variables: { id: endpoint.id } });
    } finally {
      await receiver.close();
    }
  });

  it('does not follow a redirect, shows why a delivery waits, marks it FAILED when out of time, and redelivers it', async () => {
    const receiver = await Receiver.start();
    const elsewhere = await Receiver.start();
    try {
      const { endpoint } = await createEndpoint(server, key, { url: receiver.url, eventTypes: ['SESSION_CREATED'] });
      receiver.behaviour = { status: 307 };
      const user = await signUpUser(server);
      await receiver.waitForRequests(2, 'a retry');
      const [waiting] = await deliveriesOf(server, key, endpoint.id, 'PENDING');
      expect(waiting).toMatchObject({ eventType: 'SESSION_CREATED', sessionId: user.session.id, lastResponseStatus: 307, lastError: 'answered 307' });
      expect(elsewhere.requests).toEqual([]);

      // Its 24 hours are up: the next failure is its last.
      await server.database.db.execute(sql`UPDATE webhook_deliveries SET retry_until = now() WHERE id = ${waiting!.id}`);
      await waitFor(async () => (await deliveriesOf(server, key, endpoint.id, 'FAILED')).length === 1, 'FAILED');
      const attempts = receiver.requests.length;
      receiver.behaviour = { status: 200 };
      const redelivered = await gql(server, 'mutation($id: ID!) { redeliverWebhookDeliveries(endpointId: $id) }', { token: key, variables: { id: endpoint.id } });
      expect(redelivered.data).toEqual({ redeliverWebhookDeliveries: 1 });
      await receiver.waitForRequests(attempts + 1);
      await waitFor(async () => (await deliveriesOf(server, key, endpoint.id, 'DELIVERED')).length === 1, 'DELIVERED');
      expect(await deliveriesOf(server, key, endpoint.id, 'FAILED')).toEqual([]);
      await gql(server, 'mutation($id: ID!) { disableWebhookEndpoint(id: $id) { id } }', { token: key, variables: { id: endpoint.id } });
    } finally {
      await receiver.close();
      await elsewhere.close();
    }
  });
});

describe('webhook endpoints in production', () => {
  let server: TestServer;
  let key: string;
  beforeAll(async () => {
    server = await startTestServer({ NODE_ENV: 'production' });
    key = await newServiceKey(server, 'ops', ['webhooks:manage']);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('takes https:// only, and refuses a name that resolves to a loopback address when it connects', async () => {
    const http = await gql(server, CREATE, { token: key, variables: { input: { url: 'http://127.0.0.1:9/hooks' } } });
    expect(http.errors?.[0]?.message).toContain('Only https:// URLs are allowed in production');
    const { endpoint } = await createEndpoint(server, key, { url: 'https://localhost:9/hooks', eventTypes: ['SESSION_CREATED'] });
    await signUpUser(server);
    await waitFor(async () => (await deliveriesOf(server, key, endpoint.id, 'PENDING'))[0]?.lastError?.includes('loopback') ?? false, 'the refusal');
    expect((await deliveriesOf(server, key, endpoint.id, 'PENDING'))[0]).toMatchObject({ lastResponseStatus: null, lastError: expect.stringContaining('WEBHOOK_ALLOW_PRIVATE_NETWORKS') });
  });
});
