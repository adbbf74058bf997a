// The README's client examples are these files, run here as written: the README cannot drift from them.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listDevices } from '../examples/node.js';
import { launchChromium } from './helpers/browser.js';
import { bundleForPage, CLIENT_PAGE_CHROMIUM_ARGS, openTab, serveClientPage } from './helpers/client-page.js';
import { gql, loginUser, PASSWORD, signUpUser } from './helpers/graphql.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const EXAMPLES = ['examples/browser.ts', 'examples/node.ts'];
const read = (path: string) => readFile(new URL(`../${path}`, import.meta.url), 'utf8');

describe('the client examples', () => {
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer(); });
  afterAll(async () => { await server.close(); });

  it('are in the README verbatim', async () => {
    const readme = await read('README.md');
    for (const path of EXAMPLES) expect(readme, path).toContain(`\`\`\`ts\n${await read(path)}\`\`\``);
  });

  it('node.ts lists the devices and signs out', async () => {
    const owner = await signUpUser(server, { device: { deviceName: 'Laptop' } });
    expect(await listDevices(server.url, owner.user.email, PASSWORD)).toEqual(['Nightly report (this one)', 'Laptop']);
  });

  describe('browser.ts in Chromium', () => {
    let browser: Browser;
    beforeAll(async () => { browser = await launchChromium(CLIENT_PAGE_CHROMIUM_ARGS); });
    afterAll(async () => { await browser?.close(); });

    it('signs in, lists the devices again after a reload, and shows a revocation from elsewhere', async () => {
      const owner = await signUpUser(server, { device: { deviceName: 'Laptop' } });
      const context = await browser.newContext({ viewport: { width: 800, height: 300 } });
      const script = await bundleForPage('example', fileURLToPath(new URL('../examples/browser.ts', import.meta.url)));
      const url = await serveClientPage(context, server.url, script, '<p id="status">Signed in.</p><ul id="devices"></ul>');
      const errors: string[] = [];
      const page = await openTab(context, url, errors);
      const example = (name: 'signIn' | 'showDevices', ...args: string[]) =>
        page.evaluate(({ name, args }) => (globalThis as any).example[name](...args), { name, args });

      await example('signIn', owner.user.email, PASSWORD);
      expect(await page.locator('#devices li').allTextContents()).toEqual(['My browser (this device)', 'Laptop']);
      await page.reload();
      await example('showDevices');
      expect(await page.locator('#devices li').allTextContents()).toEqual(['My browser (this device)', 'Laptop']);

      const laptop = await loginUser(server, owner.user.email);
      const { data } = await gql<{ mySessions: Array<{ id: string; deviceName: string }> }>(server, '{ mySessions { id deviceName } }', { token: laptop.accessToken });
      const browserSession = data!.mySessions.find((session) => session.deviceName === 'My browser')!;
      await gql(server, 'mutation($id: ID!) { revokeSession(id: $id) }', { token: laptop.accessToken, variables: { id: browserSession.id } });
      await page.locator('#status', { hasText: 'Signed out (REVOKED).' }).waitFor();
      expect(errors).toEqual([]);
      await context.close();
    });
  });
});
