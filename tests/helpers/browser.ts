import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`, which .ci/run does): the tests never download a browser. */
const CHROMIUM = '/usr/bin/chromium';

// No sandbox: CI runs as root. The rest keeps Chromium off the network on its own account
// (updates, sync, QUIC probes), which a closed network would otherwise turn into slow timeouts.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface BrowserTab {
  page: Page;
  /** Every URL the page asked for outside the origin it was opened on (WebSocket ones included). */
  foreignRequests: string[];
  /** Console errors and uncaught exceptions, as text. */
  errors: string[];
  close(): Promise<void>;
}

/** Starts Debian's headless Chromium with a temporary profile, removed on close. */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, ...extraArgs] });
}

/** Opens `url` in a fresh headless Chromium (a temporary profile, removed on close) at 1280x800. */
export async function openInChromium(url: string): Promise<BrowserTab> {
  const browser = await launchChromium();
  const tab = await openTab(browser, url);
  return { ...tab, close: () => browser.close() };
}

/**
 * Opens `url` in a new context of a running `browser`, at 1280x800: a tab with storage of its own
 * (GraphiQL's saved tabs, cookies), so that tests sharing one browser see nothing of each other.
 * Its `close` closes that context only.
 */
export async function openTab(browser: Browser, url: string): Promise<BrowserTab> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  // Well within the test's own timeout, so that a step that hangs is named in the failure.
  page.setDefaultTimeout(10_000);
  const origin = new URL(url);
  const foreignRequests: string[] = [];
  const errors: string[] = [];
  // `data:` URLs (GraphiQL's inlined fonts and icons) are part of the page, not requests to anyone.
  const note = (requested: string) => {
    if (!requested.startsWith('data:') && !isSameHost(new URL(requested), origin)) foreignRequests.push(requested);
  };
  page.on('request', (request) => note(request.url()));
  page.on('websocket', (socket) => note(socket.url()));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(url);
  return { page, foreignRequests, errors, close: () => context.close() };
}

/** Same host and port; `ws:` counts as `http:` and `wss:` as `https:`. */
function isSameHost(requested: URL, origin: URL): boolean {
  const scheme = requested.protocol.replace(/^ws/, 'http');
  return scheme === origin.protocol && requested.host === origin.host;
}
