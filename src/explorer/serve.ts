import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IncomingMessage, ServerResponse } from 'node:http';
import accepts from 'accepts';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { pageSender, sendAsset } from '../web/bundle-serve.js';

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

/** Answers the request and says true, or says false and leaves it to Apollo. */
export type ExplorerRoute = (request: IncomingMessage, response: ServerResponse, path: string) => Promise<boolean>;

/**
 * The GraphiQL explorer: `GET /graphql` from a browser (one that prefers `text/html`) gets the page,
 * and `/graphql/explorer/*` its content-hashed assets. Every other request to /graphql is Apollo's,
 * as is everything when `GRAPHIQL` is off (no route at all).
 */
export function serveExplorer({ config, logger, bundleDir = explorerBundleDir }: ExplorerDeps): ExplorerRoute | undefined {
  if (!config.graphiql) return undefined;
  const sendPage = pageSender({ indexHtml: join(bundleDir, 'index.html'), csp: CONTENT_SECURITY_POLICY, what: 'the GraphiQL explorer', logger });
  const assetsDir = join(bundleDir, 'assets');
  return async (request, response, path) => {
    const isRead = request.method === 'GET' || request.method === 'HEAD';
    if (path.startsWith(`${EXPLORER_ASSETS_URL_PATH}/`)) {
      await sendAsset(response, assetsDir, isRead ? path.slice(EXPLORER_ASSETS_URL_PATH.length + 1) : '');
      return true;
    }
    // A GraphQL client's GET (`?query=…`) asks for JSON, or for anything: it goes on to Apollo.
    if (path !== '/graphql' || !isRead || accepts(request).type(['application/json', 'text/html']) !== 'text/html') return false;
    await sendPage(response);
    return true;
  };
}
