import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBrowserBundle } from '../web/bundle-build.js';
import { ACCOUNT_ASSETS_URL_PATH, accountBundleDir } from './serve.js';

// From src/account/ or from dist/account/ alike: the browser code is bundled from its sources.
const browserDir = fileURLToPath(new URL('../../src/account/browser', import.meta.url));

/**
 * Bundles the account page into `dist/account-ui/` (see `buildBrowserBundle`); returns its sizes.
 * @param outDir @default dist/account-ui, where `serveAccountPage` looks
 */
export function buildAccountPage(outDir: string = accountBundleDir): Promise<{ scriptBytes: number; stylesheetBytes: number }> {
  return buildBrowserBundle({ entry: join(browserDir, 'app.ts'), tsconfig: join(browserDir, 'tsconfig.json'), outDir, renderHtml: renderIndexHtml });
}

/** Served at `GET /account`: asset URLs relative to it, so they hold under a proxy's path prefix. */
function renderIndexHtml(script: string, stylesheet: string): string {
  const assets = `${ACCOUNT_ASSETS_URL_PATH.slice(1)}/`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Where you're signed in</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${assets}${stylesheet}">
<script type="module" src="${assets}${script}"></script>
</head>
<body>
<main id="app" aria-live="polite"><p class="loading">Loading…</p></main>
<noscript>This page needs JavaScript.</noscript>
</body>
</html>
`;
}
