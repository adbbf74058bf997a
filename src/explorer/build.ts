import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { EXPLORER_ASSETS_URL_PATH, explorerBundleDir } from './serve.js';

// From src/explorer/ or from dist/explorer/ alike: the browser code is bundled from its sources.
const browserDir = fileURLToPath(new URL('../../src/explorer/browser', import.meta.url));

/**
 * Bundles GraphiQL and its styles into `dist/explorer-ui/`: `index.html`, and the content-hashed
 * `app-*.js` and `app-*.css` under `assets/`, with every font and image inlined or local.
 * The bundle is written aside and then moved in, so a running server never serves half of one.
 * @param outDir @default dist/explorer-ui, where `serveExplorer` looks
 */
export async function buildExplorer(outDir: string = explorerBundleDir): Promise<void> {
  const staging = `${outDir}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const { metafile } = await build({
      entryPoints: { app: join(browserDir, 'app.tsx') },
      tsconfig: join(browserDir, 'tsconfig.json'),
      outdir: join(staging, 'assets'),
      entryNames: '[name]-[hash]',
      assetNames: '[name]-[hash]',
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      // React and graphql pick their production builds from this.
      define: { 'process.env.NODE_ENV': '"production"' },
      loader: { '.woff': 'file', '.woff2': 'file', '.ttf': 'file', '.png': 'file', '.svg': 'file' },
      metafile: true,
      logLevel: 'warning',
    });
    const { script, stylesheet } = findEntryOutputs(metafile);
    await writeFile(join(staging, 'index.html'), renderIndexHtml(script, stylesheet));
    await replaceDirectory(staging, outDir);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

function findEntryOutputs(metafile: Metafile): { script: string; stylesheet: string } {
  const entry = Object.entries(metafile.outputs).find(([, output]) => output.entryPoint?.endsWith('app.tsx'));
  if (!entry?.[1].cssBundle) throw new Error('esbuild produced no script and stylesheet for the explorer');
  return { script: basename(entry[0]), stylesheet: basename(entry[1].cssBundle) };
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

/** Swaps `staging` in for `target`; the previous bundle, if any, is deleted after the swap. */
async function replaceDirectory(staging: string, target: string): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  const previous = `${target}.${randomBytes(4).toString('hex')}.old`;
  await rename(target, previous).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
  await rename(staging, target);
  await rm(previous, { recursive: true, force: true });
}
