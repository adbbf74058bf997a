// The account page on GET /account: where you're signed in, live, in a real Chromium. Two browsers
// of one user see each other, sign each other out and rename each other, without a reload.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type BrowserTab } from './helpers/browser.js';
import { createDeviceKey } from './helpers/dpop.js';
import { loginUser, PASSWORD, signUpUser } from './helpers/graphql.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { IPHONE_SAFARI, MAC_CHROME } from './helpers/user-agents.js';

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
const FRESH_AUTH_SECONDS = 60;

const axeSource = readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

describe('the account page over HTTP', () => {
  let server: TestServer;
  let off: TestServer;
  beforeAll(async () => { [server, off] = await Promise.all([startTestServer(), startTestServer({ ACCOUNT_PAGE: 'off' })]); });
  afterAll(async () => { await Promise.all([server?.close(), off?.close()]); });

  it('is served with a strict policy, its assets cached for good; /account/devices leads to it; ACCOUNT_PAGE=off serves nothing', async () => {
    const page = await fetch(new URL('/account', server.url), { headers: { accept: BROWSER_ACCEPT } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'; script-src 'self'; style-src 'self';.*frame-ancestors 'none'/);
    const assets = [...(await page.text()).matchAll(/(?:src|href)="(account\/assets\/[^"]+)"/g)].map((match) => match[1]!);
    expect(assets).toHaveLength(2);
    for (const asset of assets) expect((await fetch(new URL(asset, server.url))).headers.get('cache-control')).toContain('immutable');
    const devices = await fetch(new URL('/account/devices', server.url), { redirect: 'manual' });
    expect([devices.status, new URL(devices.headers.get('location')!, devices.url).pathname]).toEqual([308, '/account']);
    expect((await fetch(new URL('/account', off.url))).status).toBe(404);
  });
});

describe('the account page in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  const tabs: BrowserTab[] = [];

  /** A tab of a browser of its own (cookies, storage), with this User-Agent, at this width. */
  async function openAccount(userAgent = MAC_CHROME, width = 1100): Promise<BrowserTab> {
    const context = await browser.newContext({ userAgent, viewport: { width, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    const origin = new URL(server.url).host;
    const tab: BrowserTab = { page, foreignRequests: [], errors: [], close: () => context.close() };
    page.on('request', (request) => { if (!request.url().startsWith('data:') && new URL(request.url()).host !== origin) tab.foreignRequests.push(request.url()); });
    page.on('websocket', (socket) => { if (new URL(socket.url()).host !== origin) tab.foreignRequests.push(socket.url()); });
    page.on('console', (message) => { if (message.type() === 'error') tab.errors.push(message.text()); });
    page.on('pageerror', (error) => tab.errors.push(error.message));
    await page.goto(new URL('/account', server.url).toString());
    tabs.push(tab);
    return tab;
  }

  /** Signs in with the keyboard alone, as a person would, and waits for the device list. */
  async function signIn(page: Page, email: string, password = PASSWORD): Promise<void> {
    await page.getByLabel('Email').waitFor();
    await page.keyboard.type(email);
    await page.keyboard.press('Tab');
    await page.keyboard.type(password);
    await page.keyboard.press('Enter');
  }

  const rowOf = (page: Page, sessionId: string) => page.locator(`li[data-session-id="${sessionId}"]`);
  const rowIds = (page: Page) => page.locator('li.device').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-session-id')));

  beforeAll(async () => {
    [server, browser] = await Promise.all([startTestServer({ FRESH_AUTH_SECONDS: String(FRESH_AUTH_SECONDS) }), launchChromium()]);
  });
  afterEach(async () => {
    for (const tab of tabs.splice(0)) {
      // A signed-out page's first refresh is answered 401 (UNAUTHENTICATED, by contract), which
      // Chromium reports on the console itself; anything the page's script reports still fails.
      expect(tab.errors.filter((error) => !error.includes('status of 401 (Unauthorized)'))).toEqual([]);
      expect(tab.foreignRequests).toEqual([]);
      await tab.close();
    }
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('says what is wrong with a sign-in in words, then lists the devices, this one first', async () => {
    const { user } = await signUpUser(server);
    const { page } = await openAccount();
    await signIn(page, user.email, 'not the password');
    await expect.poll(() => page.getByRole('alert').first().textContent()).toBe('Wrong email or password.');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByLabel('Password').press('Enter');
    await page.getByRole('heading', { name: "Where you're signed in" }).waitFor();
    const rows = page.locator('li.device');
    await expect.poll(() => rows.count()).toBe(2);
    await expect.poll(() => rows.first().textContent()).toContain('This device');
    // The label is the server's reading of the User-Agent and of the Client Hints Chromium sends.
    expect(await rows.first().textContent()).toMatch(/^Chromium \d+ on macOS/);
  });

  it('shows a sign-out from another browser at once on both, and a new sign-in with its New badge', async () => {
    const { user } = await signUpUser(server);
    const a = await openAccount(MAC_CHROME);
    await signIn(a.page, user.email);
    const b = await openAccount(IPHONE_SAFARI);
    await signIn(b.page, user.email);
    await expect.poll(() => a.page.locator('li.device').count()).toBe(3);
    const bRow = a.page.locator('li.device', { hasText: 'on iPhone' });
    expect(await bRow.textContent()).not.toContain('This device');
    const bSession = (await bRow.getAttribute('data-session-id'))!;

    const started = Date.now();
    await bRow.getByRole('button', { name: /^Sign out / }).click();
    await b.page.getByRole('heading', { name: 'Signed out' }).waitFor({ timeout: 1_000 });
    expect(await b.page.locator('.signed-out').textContent()).toContain('this device was signed out from another one');
    await expect.poll(async () => (await rowIds(a.page)).includes(bSession), { timeout: 1_000 }).toBe(false);
    expect(Date.now() - started).toBeLessThan(2_000);

    const third = await loginUser(server, user.email, { device: { deviceId: 'brand-new' } }, { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0' });
    await rowOf(a.page, third.session.id).waitFor({ timeout: 1_000 });
    expect(await rowOf(a.page, third.session.id).textContent()).toContain('New');
    await a.page.getByText(/Signed in on a new device: Firefox 125 on Linux/).first().waitFor();
  });

  it('marks device-bound sessions, its own (the client binds by default) and another, live', async () => {
    const { user } = await signUpUser(server);
    const { page } = await openAccount(MAC_CHROME);
    await signIn(page, user.email);
    const own = page.locator('li.device', { hasText: 'This device' });
    await own.locator('.badge.bound').waitFor();
    expect(await own.locator('.badge.bound').textContent()).toBe('Device-bound');
    // The sign-up's session, made without a proof, is not bound.
    await expect.poll(() => page.locator('li.device').count()).toBe(2);
    expect(await page.locator('li.device .badge.bound').count()).toBe(1);

    const key = await createDeviceKey();
    const bound = await loginUser(server, user.email, {}, { 'user-agent': IPHONE_SAFARI, dpop: await key.proof({ url: server.url }) });
    await rowOf(page, bound.session.id).locator('.badge.bound').waitFor({ timeout: 1_000 });
    await page.reload();
    await rowOf(page, bound.session.id).locator('.badge.bound').waitFor();
    expect(await page.locator('li.device .badge.bound').count()).toBe(2);
  });

  it('asks for the password when sudo mode has lapsed, then signs the other devices out', async () => {
    const { user } = await signUpUser(server);
    const { page } = await openAccount();
    await signIn(page, user.email);
    await expect.poll(() => page.locator('li.device').count()).toBe(2);
    server.clock.advance(FRESH_AUTH_SECONDS + 1);
    await page.getByRole('button', { name: 'Sign out of all other devices' }).click();
    const dialog = page.getByRole('dialog', { name: 'Confirm it is you' });
    await dialog.getByLabel('Password').fill('wrong password');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await expect.poll(() => dialog.getByRole('alert').textContent()).toBe('Wrong password.');
    await dialog.getByLabel('Password').fill(PASSWORD);
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await expect.poll(() => page.locator('li.device').count()).toBe(1);
    expect(await dialog.count()).toBe(0);
  });

  it('shows a rename in the other browser live, the label kept beside it', async () => {
    const { user } = await signUpUser(server);
    const a = await openAccount(MAC_CHROME);
    await signIn(a.page, user.email);
    const b = await openAccount(IPHONE_SAFARI);
    await signIn(b.page, user.email);
    const own = b.page.locator('li.device', { hasText: 'This device' });
    await own.getByRole('button', { name: /^Rename/ }).click();
    await b.page.getByLabel('Device name').fill("Ada's phone");
    await b.page.getByLabel('Device name').press('Enter');
    const renamed = a.page.locator('li.device', { hasText: "Ada's phone" });
    await renamed.waitFor({ timeout: 1_000 });
    expect(await renamed.locator('.label').textContent()).toMatch(/on iPhone$/);
  });

  it('keeps the session across a reload with no token in storage, is accessible, and fits a phone', async () => {
    const { user } = await signUpUser(server);
    const key = await createDeviceKey();
    await loginUser(server, user.email, { device: { deviceName: 'Work laptop' } }, { 'user-agent': MAC_CHROME, 'x-forwarded-for': '105.112.34.56', dpop: await key.proof({ url: server.url }) });
    const { page } = await openAccount(IPHONE_SAFARI, 360);
    await signIn(page, user.email);
    await page.locator('li.device', { hasText: 'This device' }).waitFor();
    await page.reload();
    await page.locator('li.device', { hasText: 'This device' }).waitFor();
    const storage = await page.evaluate(() => {
      const scope = globalThis as any;
      return JSON.stringify({ ...scope.localStorage }) + JSON.stringify({ ...scope.sessionStorage });
    });
    expect(storage).toBe('{}{}');
    expect(await page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);

    await page.evaluate(await axeSource);
    const violations = await page.evaluate(async () => {
      const scope = globalThis as any;
      const { violations } = await scope.axe.run(scope.document, { resultTypes: ['violations'] });
      return (violations as Array<{ id: string; impact: string }>).map(({ id, impact }) => `${impact}: ${id}`);
    });
    expect(violations.filter((violation) => /^(serious|critical)/.test(violation))).toEqual([]);

    if (process.env.UPDATE_SCREENSHOT) {
      await page.screenshot({ path: new URL('../docs/account-phone.png', import.meta.url).pathname, fullPage: true });
      await page.setViewportSize({ width: 1100, height: 900 });
      await page.screenshot({ path: new URL('../docs/account-desktop.png', import.meta.url).pathname, fullPage: true });
    }
  });
});
