import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { BrowserContext, Page } from 'playwright-core';

const CLIENT_ENTRY = fileURLToPath(new URL('../../src/client/index.ts', import.meta.url));

/**
 * A page that `page.route` fulfils came from no network address, so Chromium's Local Network Access
 * puts it in the public address space and refuses its WebSocket to 127.0.0.1 (fetch, same-origin,
 * passes). A page the server itself served would be loopback like the API; so tests turn the check off.
 */
export const CLIENT_PAGE_CHROMIUM_ARGS = ['--disable-features=LocalNetworkAccessChecks'];

/** The path under the server's origin where tests serve their pages, same-origin with the API. */
export const CLIENT_TEST_PATH = '/client-test';

/**
 * Bundles `entry` for a browser page as an IIFE that sets `globalName`, with the client imported
 * as users do (`session-device-server/client`) resolved to its sources.
 * @param entry @default the client itself
 */
export async function bundleForPage(globalName: string, entry: string = CLIENT_ENTRY): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'iife',
    globalName,
    platform: 'browser',
    target: 'es2022',
    alias: { 'session-device-server/client': CLIENT_ENTRY },
    logLevel: 'warning',
  });
  return result.outputFiles[0]!.text;
}

/**
 * Serves, on the API server's own origin, `${CLIENT_TEST_PATH}/index.html` (a page loading the
 * script) and `${CLIENT_TEST_PATH}/app.js` (`script`), so the page's requests and its
 * `__Host-` cookie are same-origin with the API. Everything else goes to the real server.
 */
export async function serveClientPage(context: BrowserContext, apiUrl: string, script: string, body = ''): Promise<string> {
  const origin = new URL(apiUrl).origin;
  await context.route(`${origin}${CLIENT_TEST_PATH}/**`, (route) => {
    const isScript = new URL(route.request().url()).pathname.endsWith('/app.js');
    return route.fulfill(
      isScript
        ? { contentType: 'text/javascript', body: script }
        : { contentType: 'text/html', body: `<!doctype html><meta charset="utf-8"><title>client test</title><script src="app.js"></script><body>${body}</body>` },
    );
  });
  return `${origin}${CLIENT_TEST_PATH}/index.html`;
}

/** Opens the test page in a new tab of `context`, and fails the test on any page error. */
export async function openTab(context: BrowserContext, url: string, errors: string[]): Promise<Page> {
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(url);
  return page;
}
