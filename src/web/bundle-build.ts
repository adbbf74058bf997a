import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { build, type Metafile } from 'esbuild';

export interface BrowserBundle {
  /** The page's script, bundled with everything it imports; its stylesheet is what it imports of CSS. */
  entry: string;
  tsconfig: string;
  outDir: string;
  /** The page, given the content-hashed names of the script and stylesheet under `assets/`. */
  renderHtml(script: string, stylesheet: string): string;
}

/**
 * Bundles a page into `outDir`: `index.html`, and the content-hashed `app-*.js` and `app-*.css`
 * under `assets/`, with every font and image inlined or local. Written aside and then moved in,
 * so a running server never serves half of one. Returns the bytes of script and stylesheet.
 */
export async function buildBrowserBundle({ entry, tsconfig, outDir, renderHtml }: BrowserBundle): Promise<{ scriptBytes: number; stylesheetBytes: number }> {
  const staging = `${outDir}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const { metafile } = await build({
      entryPoints: { app: entry },
      tsconfig,
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
    const outputs = findEntryOutputs(metafile, basename(entry));
    await writeFile(join(staging, 'index.html'), renderHtml(basename(outputs.script), basename(outputs.stylesheet)));
    await replaceDirectory(staging, outDir);
    return { scriptBytes: metafile.outputs[outputs.script]!.bytes, stylesheetBytes: metafile.outputs[outputs.stylesheet]!.bytes };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

function findEntryOutputs(metafile: Metafile, entryName: string): { script: string; stylesheet: string } {
  const entry = Object.entries(metafile.outputs).find(([, output]) => output.entryPoint?.endsWith(entryName));
  if (!entry?.[1].cssBundle) throw new Error(`esbuild produced no script and stylesheet for ${entryName}`);
  return { script: entry[0], stylesheet: entry[1].cssBundle };
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
