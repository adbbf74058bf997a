import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBrowserBundle } from '../web/bundle-build.js';
import { EXPLORER_ASSETS_URL_PATH, explorerBundleDir } from './serve.js';

// From src/explorer/ or from dist/explorer/ alike: the browser code is bundled from its sources.
const browserDir = fileURLToPath(new URL('../../src/explorer/browser', import.meta.url));

/**
 * Bundles GraphiQL and its styles into `dist/explorer-ui/` (see `buildBrowserBundle`).
 * @param outDir @default dist/explorer-ui, where `serveExplorer` looks
 */
export async function buildExplorer(outDir: string = explorerBundleDir): Promise<void> {
  await buildBrowserBundle({ entry: join(browserDir, 'app.tsx'), tsconfig: join(browserDir, 'tsconfig.json'), outDir, renderHtml: renderIndexHtml });
}

/**
 * The page is served at `GET /graphql`, so asset URLs are relative to it: they keep working when a
 * proxy serves the API under a path prefix. The icon is inline so the browser asks for no favicon.
 */
function renderIndexHtml(script: string, stylesheet: string): string {
  const assets = `${EXPLORER_ASSETS_URL_PATH.slice(1)}/`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>GraphiQL: session and device API</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${assets}${stylesheet}">
<script type="module" src="${assets}${script}"></script>
</head>
<body>
<div id="graphiql">Loading GraphiQL…</div>
<noscript>GraphiQL needs JavaScript.</noscript>
</body>
</html>
`;
}
