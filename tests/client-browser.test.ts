// The client in Chromium, cookie mode: two tabs of one origin share one refresh (Web Locks,
// BroadcastChannel), and a revocation from another browser reaches both tabs at once.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './helpers/browser.js';
import { bundleForPage, CLIENT_PAGE_CHROMIUM_ARGS, openTab, serveClientPage } from './helpers/client-page.js';
import { issueSessionFor, PASSWORD, signUpUser } from './helpers/graphql.js';
import { scrape } from './helpers/metrics.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { listening, operationsSince } from './helpers/session-client.js';
import { newServiceKey } from './helpers/service-keys.js';

interface SignedOut {
  reason: string;
  at: number;
}

/** Creates the page's client, recording every `onSignedOut` with the time it fired. */
function startClient(page: Page, options: Record<string, unknown> = {}): Promise<void> {
  return page.evaluate((options) => {
    const scope = globalThis as any;
    scope.signedOut = [];
    scope.client = scope.SessionClient.createSessionClient({ url: '/graphql', ...options });
    scope.client.onSignedOut((reason: string) => scope.signedOut.push({ reason, at: Date.now() }));
  }, options);
}

const listSessionIds = (page: Page) => page.evaluate(async () => ((await (globalThis as any).client.sessions()) as Array<{ id: string }>).map((session) => session.id));
const signedOutOf = (page: Page) => page.evaluate(() => (globalThis as any).signedOut as SignedOut[]);

describe('the client in Chromium, in cookie mode', () => {
  let server: TestServer;
  let browser: Browser;
  let script: string;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];

  /** Opens tabs of one new browser context, each with a client made with its options. */
  async function newTabs(count: number, optionsOfTab: Array<Record<string, unknown>> = []): Promise<Page[]> {
    const context = await browser.newContext();
    contexts.push(context);
    const url = await serveClientPage(context, server.url, script);
    const tabs: Page[] = [];
    for (let index = 0; index < count; index += 1) {
      const tab = await openTab(context, url, pageErrors);
      await startClient(tab, optionsOfTab[index]);
      tabs.push(tab);
    }
    return tabs;
  }

  beforeAll(async () => {
    [server, browser, script] = await Promise.all([startTestServer(), launchChromium(CLIENT_PAGE_CHROMIUM_ARGS), bundleForPage('SessionClient')]);
  });
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
    expect(pageErrors.splice(0)).toEqual([]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('keeps the refresh token out of the page, in an HttpOnly __Host- cookie', async () => {
    const { user } = await signUpUser(server);
    const [tab] = await newTabs(1);
    const signedIn = await tab!.evaluate(({ email, password }) => (globalThis as any).client.login({ email, password }), { email: user.email, password: PASSWORD });
    expect(signedIn.session.id).toBeTypeOf('string');
    const cookies = await tab!.context().cookies();
    expect(cookies).toMatchObject([{ name: '__Host-refresh-token', httpOnly: true, secure: true, sameSite: 'Strict', path: '/' }]);
    expect(await tab!.evaluate(() => (globalThis as any).document.cookie)).toBe('');
    expect(await tab!.evaluate(() => JSON.stringify((globalThis as any).localStorage))).not.toContain(cookies[0]!.value);
  });

  it('binds its session to a non-extractable key of the device; a token copied out of the page is refused', async () => {
    const { user } = await signUpUser(server);
    const [tab] = await newTabs(1);
    // What a script injected into the page, or a proxy, would lift from the wire.
    const lifted: Array<{ authorization?: string; dpop?: string }> = [];
    tab!.on('request', (request) => {
      const { authorization, dpop } = request.headers();
      if (authorization?.startsWith('DPoP ')) lifted.push({ authorization, dpop });
    });
    const { session } = await tab!.evaluate(({ email, password }) => (globalThis as any).client.login({ email, password }), { email: user.email, password: PASSWORD });
    expect(session.isDeviceBound).toBe(true);
    const sessions = await tab!.evaluate(async () => (await (globalThis as any).client.sessions()) as Array<{ id: string; isDeviceBound: boolean }>);
    expect(sessions).toEqual(expect.arrayContaining([expect.objectContaining({ id: session.id, isDeviceBound: true })]));
    await listening(server);

    const key = await tab!.evaluate(async () => {
      const scope = globalThis as any;
      const db: any = await new Promise((resolve, reject) => {
        const opening = scope.indexedDB.open('session-client-dpop', 1);
        opening.onsuccess = () => resolve(opening.result);
        opening.onerror = () => reject(opening.error);
      });
      const pair: any = await new Promise((resolve) => {
        const read = db.transaction('keys', 'readonly').objectStore('keys').get('device');
        read.onsuccess = () => resolve(read.result);
      });
      const exported = await scope.crypto.subtle.exportKey('jwk', pair.privateKey).then(() => 'exported', (error: Error) => error.name);
      return { extractable: pair.privateKey.extractable, exported };
    });
    expect(key).toEqual({ extractable: false, exported: 'InvalidAccessError' });

    const copied = lifted.at(-1)!;
    const me = (headers: Record<string, string>) => fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query: '{ me { id } }' }) });
    const token = copied.authorization!.slice('DPoP '.length);
    // As a bearer token, with no proof, and with the proof that went with it (a replay).
    const attempts: Array<Record<string, string>> = [{ authorization: `Bearer ${token}` }, { authorization: copied.authorization! }, { authorization: copied.authorization!, dpop: copied.dpop! }];
    for (const headers of attempts) {
      const answer = await me(headers);
      expect(answer.status).toBe(401);
      expect(answer.headers.get('www-authenticate')).toContain('invalid_dpop_proof');
    }
    // The page itself goes on.
    expect(await listSessionIds(tab!)).toContain(session.id);
  });

  it('adopts a session its app\'s backend got from issueSession into the cookie, and keeps it across a reload', async () => {
    const issued = await issueSessionFor(server, await newServiceKey(server, 'browser-backend', ['sessions:issue']), { externalId: 'oidc|browser' });
    const [tab] = await newTabs(1);
    const adopted = await tab!.evaluate((refreshToken) => (globalThis as any).client.adopt(refreshToken), issued.refreshToken);
    expect(adopted.user.externalId).toBe('oidc|browser');
    const [cookie] = await tab!.context().cookies();
    expect(cookie).toMatchObject({ name: '__Host-refresh-token', httpOnly: true });
    expect(cookie!.value).not.toBe(issued.refreshToken);
    await tab!.reload();
    await startClient(tab!);
    expect(await listSessionIds(tab!)).toEqual([issued.session.id]);
  });

  it('gets a reloaded tab a new access token from the cookie', async () => {
    const { user } = await signUpUser(server);
    const [tab] = await newTabs(1);
    const { session } = await tab!.evaluate(({ email, password }) => (globalThis as any).client.login({ email, password }), { email: user.email, password: PASSWORD });
    await tab!.reload();
    await startClient(tab!);
    expect(await listSessionIds(tab!)).toContain(session.id);
  });

  it("tells the origin's other tabs when one signs out, even a tab without a socket of its own", async () => {
    const { user } = await signUpUser(server);
    const [first, second] = await newTabs(2, [{}, { forcedLogout: false }]);
    await first!.evaluate(({ email, password }) => (globalThis as any).client.login({ email, password }), { email: user.email, password: PASSWORD });
    await listSessionIds(second!);
    await first!.evaluate(() => (globalThis as any).client.logout());
    await second!.waitForFunction(() => (globalThis as any).signedOut.length > 0);
    expect((await signedOutOf(second!)).map((report) => report.reason)).toEqual(['LOGOUT']);
    expect(await second!.evaluate(() => (globalThis as any).client.isSignedIn())).toBe(false);
  });

  it('makes one refresh for two tabs whose tokens expired, without reuse detection; a revocation elsewhere reaches both within 1 s', async () => {
    const owner = await signUpUser(server);
    const { user } = owner;
    const [first, second] = await newTabs(2);
    const { session } = await first!.evaluate(({ email, password }) => (globalThis as any).client.login({ email, password }), { email: user.email, password: PASSWORD });
    // The second tab has no token yet: it refreshes from the cookie, and the first adopts the new pair.
    expect(await listSessionIds(second!)).toEqual([session.id, owner.session.id]);
    await listening(server, 2);

    const before = await scrape(server);
    server.clock.advance(901);
    const lists = await Promise.all([listSessionIds(first!), listSessionIds(second!)]);
    expect(lists.map((ids) => ids[0])).toEqual([session.id, session.id]);
    // Both tabs were refused with the dead token, and only one of them refreshed.
    expect(await operationsSince(server, before, 'MySessions', 'error')).toBe(2);
    expect(await operationsSince(server, before, 'RefreshSession', 'success')).toBe(1);
    expect(await operationsSince(server, before, 'RefreshSession', 'error')).toBe(0);
    expect((await scrape(server)).value('session_server_auth_failures_total', { reason: 'rotated' })).toBe(before.value('session_server_auth_failures_total', { reason: 'rotated' }));
    expect((await Promise.all([listSessionIds(first!), listSessionIds(second!)])).map((ids) => ids[0])).toEqual([session.id, session.id]);

    const [elsewhere] = await newTabs(1);
    await elsewhere!.evaluate(({ email, password }) => (globalThis as any).client.login({ email, password }), { email: user.email, password: PASSWORD });
    const revokedAt = Date.now();
    expect(await elsewhere!.evaluate((id) => (globalThis as any).client.revokeSession(id), session.id)).toBe(true);
    await Promise.all([first, second].map((tab) => tab!.waitForFunction(() => (globalThis as any).signedOut.length > 0)));
    for (const tab of [first!, second!]) {
      const reports = await signedOutOf(tab);
      expect(reports.map((report) => report.reason)).toEqual(['REVOKED']);
      expect(reports[0]!.at - revokedAt).toBeLessThan(1_000);
    }
  });
});
