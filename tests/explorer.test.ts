// The GraphiQL explorer on GET /graphql: served to browsers only, from local files only, and usable
// end to end in a real Chromium: sign up, send the token as a header, list sessions, watch one end.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { serveExplorer } from '../src/explorer/serve.js';
import { createLogger } from '../src/logger.js';
import { launchChromium, openTab, type BrowserTab } from './helpers/browser.js';
import { queryRows } from './helpers/db.js';
import { openDocs, queryEditorText, runOperation, runOperationAt, runSubscription, setHeaders, waitForGraphiQL, waitForResult } from './helpers/graphiql-page.js';
import { gql, PASSWORD, signUpUser, uniqueEmail } from './helpers/graphql.js';
import { startTestServer, testDriver, type TestServer } from './helpers/server.js';
import { sessionOf, whenSubscribed } from './helpers/ws.js';

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

let server: TestServer;
beforeAll(async () => { server = await startTestServer(); });
afterAll(async () => { await server?.close(); });

describe('the explorer page', () => {
  it('is served to a browser with a strict Content-Security-Policy, its assets cached for good', async () => {
    const page = await fetch(server.url, { headers: { accept: BROWSER_ACCEPT } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self';");
    expect(page.headers.get('vary')).toMatch(/accept/i);
    const assets = [...(await page.text()).matchAll(/(?:src|href)="(graphql\/explorer\/[^"]+)"/g)].map((match) => match[1]!);
    expect(assets).toHaveLength(2);
    for (const asset of assets) {
      const response = await fetch(new URL(asset, server.url));
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toContain('immutable');
    }
  });

  it('leaves a GraphQL GET that asks for JSON to Apollo', async () => {
    const response = await fetch(`${server.url}?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { accept: 'application/json', 'apollo-require-preflight': 'true' },
    });
    expect(await response.json()).toEqual({ data: { __typename: 'Query' } });
  });
});

describe('with GRAPHIQL=off', () => {
  let withoutExplorer: TestServer;
  beforeAll(async () => { withoutExplorer = await startTestServer({ GRAPHIQL: 'off' }); });
  afterAll(async () => { await withoutExplorer?.close(); });

  it('serves no page: a browser GET reaches Apollo, which refuses a GET without a query', async () => {
    const response = await fetch(withoutExplorer.url, { headers: { accept: BROWSER_ACCEPT } });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).not.toMatch(/^text\/html/);
  });
});

describe('without a built bundle', () => {
  let http: Server;
  let logs = '';
  let emptyDir: string;
  beforeAll(async () => {
    emptyDir = await mkdtemp(join(tmpdir(), 'explorer-unbuilt-'));
    const logger = createLogger({ logLevel: 'warn' }, { write: (line: string) => { logs += line; } });
    const explorer = serveExplorer({ config: { graphiql: true }, logger, bundleDir: emptyDir })!;
    http = createServer((request, response) => void explorer(request, response, '/graphql'));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => http.close(resolve));
    await rm(emptyDir, { recursive: true, force: true });
  });

  it('answers 503 saying to run npm run build, and logs it once', async () => {
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/graphql`;
    for (let i = 0; i < 2; i++) {
      const response = await fetch(url, { headers: { accept: BROWSER_ACCEPT } });
      expect(response.status).toBe(503);
      expect(await response.text()).toContain('npm run build');
    }
    expect(logs.match(/not built/g)).toHaveLength(1);
  });
});

// Once, on PGlite: the explorer is the same page whichever database driver the server uses.
// One Chromium, and for every case a tab of its own with storage of its own: no case starts where another stopped.
describe.skipIf(testDriver === 'postgres')('the explorer in Chromium', () => {
  let browser: Browser;
  let tab: BrowserTab;
  beforeAll(async () => { browser = await launchChromium(); });
  afterAll(async () => { await browser?.close(); });
  beforeEach(async () => {
    tab = await openTab(browser, server.url);
    await waitForGraphiQL(tab.page);
  });
  afterEach(async () => {
    try {
      // Whatever the case did, the page asked nothing of any other origin and logged no error.
      expect(tab.foreignRequests).toEqual([]);
      expect(tab.errors).toEqual([]);
    } finally {
      await tab.close();
    }
  });

  /** A subscription run from the page, and the message of the error that ended it. */
  async function refusedSubscription(headers?: Record<string, string>): Promise<string> {
    if (headers) await setHeaders(tab.page, headers);
    await runOperation(tab.page, 'Refused', 'subscription Refused { sessionRevoked { reason } }');
    const result = await waitForResult<{ errors: Array<{ message: string }> }>(tab.page, 'errors');
    return result.errors[0]!.message;
  }

  it('introspects the schema for its docs', async () => {
    expect(await openDocs(tab.page, 'Query')).toContain('mySessions');
  });

  it('opens on a tab holding the operations to try: SignUp, Login, MySessions, Logout, SessionRevoked', async () => {
    const operations = [...(await queryEditorText(tab.page)).matchAll(/^(query|mutation|subscription) (\w+)/gm)].map((match) => match[2]);
    expect(operations).toEqual(['SignUp', 'Login', 'MySessions', 'Logout', 'SessionRevoked']);
    await saveScreenshotWhenAsked(tab, 'explorer-default-tab.png');
  });

  it("runs the default tab's Login, then its Logout with the token in Headers", async () => {
    const { user } = await signUpUser(server, { email: 'you@example.com' });
    await runOperationAt(tab.page, 'mutation Login');
    const login = await waitForResult<{ data: { login: { accessToken: string; session: { id: string } } } }>(tab.page, 'login');
    await setHeaders(tab.page, { Authorization: `Bearer ${login.data.login.accessToken}` });
    await runOperationAt(tab.page, 'mutation Logout');
    expect(await waitForResult(tab.page, 'logout')).toEqual({ data: { logout: true } });
    const [ended] = await queryRows<{ reason: string }>(server.database, sql`SELECT revoked_reason AS reason FROM sessions WHERE id = ${login.data.login.session.id} AND user_id = ${user.id}`);
    expect(ended).toEqual({ reason: 'LOGOUT' });
  });

  it('says what is missing when a subscription is sent without a token', async () => {
    expect(await refusedSubscription()).toMatch(/4401 unauthorized\. Put \{ "Authorization": "Bearer <accessToken>" \} in Headers/);
  });

  // Regression: with the token of a session that had ended in Headers, the pane asked to put a token in Headers.
  it("says in words that the token's session has ended, when it has, instead of asking for a header", async () => {
    const { accessToken } = await signUpUser(server);
    await gql(server, 'mutation { logout }', { token: accessToken });
    const message = await refusedSubscription({ Authorization: `Bearer ${accessToken}` });
    expect(message).toMatch(/4401 session ended: LOGOUT\. The session of the token in Headers has ended: it was signed out\. Run Login/);
    expect(message).not.toContain('Put {');
    await saveScreenshotWhenAsked(tab, 'explorer-session-ended.png');
  });

  it('says the token in Headers is not a live one, instead of asking for a header', async () => {
    const message = await refusedSubscription({ Authorization: 'Bearer not-a-token' });
    expect(message).toMatch(/4401 unauthorized\. The token in Headers is not a live access token/);
    expect(message).not.toContain('Put {');
  });

  it('signs up through a mutation typed into the editor, and with the token in Headers lists this browser as the current session', async () => {
    await runOperation(tab.page, 'Join', `mutation Join { signUp(input: { email: "${uniqueEmail()}", password: "${PASSWORD}" }) { accessToken } }`);
    const { accessToken } = (await waitForResult<{ data: { signUp: { accessToken: string } } }>(tab.page, 'signUp')).data.signUp;
    expect(accessToken).toMatch(/^ey/);
    await setHeaders(tab.page, { Authorization: `Bearer ${accessToken}` });
    await runOperation(tab.page, 'Devices', 'query Devices {\n  mySessions {\n    deviceName browser\n    os isCurrent\n  }\n}');
    const result = await waitForResult(tab.page, 'mySessions');
    expect(result.data?.mySessions).toEqual([expect.objectContaining({ browser: expect.stringMatching(/Chrom/), isCurrent: true })]);
    await saveScreenshotWhenAsked(tab);
  });

  it('shows sessionRevoked over the WebSocket when the session is signed out from elsewhere', async () => {
    const { accessToken } = await signUpUser(server);
    await setHeaders(tab.page, { Authorization: `Bearer ${accessToken}` });
    await runSubscription(tab.page, 'Watch', 'subscription Watch { sessionRevoked { reason } }');
    await whenSubscribed(server, sessionOf(accessToken));
    expect((await gql(server, 'mutation { logout }', { token: accessToken })).data).toEqual({ logout: true });
    const result = await waitForResult(tab.page, 'sessionRevoked');
    expect(result).toEqual({ data: { sessionRevoked: { reason: 'LOGOUT' } } });
  });
});

/**
 * `UPDATE_SCREENSHOT=1` refreshes the README's picture of the explorer, docs/graphiql.png; other
 * pictures, to look at, go to the system's temporary directory.
 */
async function saveScreenshotWhenAsked(tab: BrowserTab, name?: string): Promise<void> {
  if (!process.env.UPDATE_SCREENSHOT) return;
  if (name) {
    await tab.page.screenshot({ path: join(tmpdir(), name) });
    return;
  }
  // The README's picture shows the docs of Query beside the result.
  await openDocs(tab.page, 'Query');
  await tab.page.screenshot({ path: new URL('../docs/graphiql.png', import.meta.url).pathname });
}
