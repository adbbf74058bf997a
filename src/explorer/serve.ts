import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router, type RequestHandler } from 'express';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';

/** Where `npm run build` writes the explorer (see build.ts): the same folder whether this runs from src/ or dist/. */
export const explorerBundleDir = fileURLToPath(new URL('../../dist/explorer-ui', import.meta.url));

/** Where the bundle's script and stylesheet are served: under /graphql, so a proxy that forwards only /graphql serves them too. */
export const EXPLORER_ASSETS_URL_PATH = '/graphql/explorer';

/** GraphiQL needs nothing from elsewhere: its fonts and icons are inlined as `data:` URLs. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  // Radix's menus and dialogs (the operation picker, settings) lock scrolling with a <style> element they write.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  // CSP level 3: 'self' also matches ws: and wss: to this same host and port, where subscriptions go.
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  // Access tokens are typed into this page, so no other site may frame it.
  "frame-ancestors 'none'",
].join('; ');

export interface ExplorerDeps {
  config: Pick<Config, 'graphiql'>;
  logger: Logger;
  /** @default dist/explorer-ui, written by `npm run build` */
  bundleDir?: string;
}

/**
 * The GraphiQL explorer: `GET /graphql` from a browser (one that prefers `text/html`) gets the page,
 * and `/graphql/explorer/*` its content-hashed assets. Every other request to /graphql passes on to
 * Apollo, as does everything when `GRAPHIQL` is off. Mount it before Apollo.
 */
export function serveExplorer({ config, logger, bundleDir = explorerBundleDir }: ExplorerDeps): Router {
  // Strict, so `/graphql/` is left to Apollo: the page's relative asset URLs only resolve from `/graphql`.
  const router = Router({ strict: true });
  if (!config.graphiql) return router;
  const assets = express.static(join(bundleDir, 'assets'), { index: false, immutable: true, maxAge: '1y' });
  router.use(EXPLORER_ASSETS_URL_PATH, assets, (_req, res) => {
    res.status(404).type('text/plain').send('Not found.\n');
  });
  router.get('/graphql', sendPage(join(bundleDir, 'index.html'), logger));
  return router;
}

function sendPage(indexHtml: string, logger: Logger): RequestHandler {
  let hasWarned = false;
  return async (req, res, next) => {
    // A GraphQL client's GET (`?query=…`) asks for JSON, or for anything: it goes on to Apollo.
    if (req.accepts(['application/json', 'text/html']) !== 'text/html') return next();
    res.vary('Accept');
    const html = await readFile(indexHtml, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return null;
      throw error;
    });
    if (html === null) {
      if (!hasWarned) logger.warn({ path: indexHtml }, 'the GraphiQL explorer is not built: run npm run build');
      hasWarned = true;
      res.status(503).type('text/plain').send('The GraphiQL explorer is not built: run `npm run build`.\n');
      return;
    }
    res.set({
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    });
    res.type('html').send(html);
  };
}
