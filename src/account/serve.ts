import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { pageSender, sendAsset } from '../web/bundle-serve.js';

/** Where `npm run build` writes the account page (see build.ts), whether this runs from src/ or dist/. */
export const accountBundleDir = fileURLToPath(new URL('../../dist/account-ui', import.meta.url));

export const ACCOUNT_PATH = '/account';
export const ACCOUNT_ASSETS_URL_PATH = '/account/assets';

/** Everything comes from this server: the bundle, and the API over fetch and WebSocket. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  // CSP level 3: 'self' also matches ws: and wss: to this same host and port, where the page listens.
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  // A password is typed here: no other site may frame it (clickjacking).
  "frame-ancestors 'none'",
].join('; ');

/** Answers the request and says true, or says false for the next route. */
export type AccountRoute = (request: IncomingMessage, response: ServerResponse, path: string) => Promise<boolean>;

/**
 * The account page: `GET /account` the page, `/account/devices` a redirect to it, and
 * `/account/assets/*` its content-hashed script and stylesheet. No route when `ACCOUNT_PAGE=off`.
 */
export function serveAccountPage({ config, logger, bundleDir = accountBundleDir }: { config: Pick<Config, 'accountPage'>; logger: Logger; bundleDir?: string }): AccountRoute | undefined {
  if (!config.accountPage) return undefined;
  const sendPage = pageSender({ indexHtml: join(bundleDir, 'index.html'), csp: CONTENT_SECURITY_POLICY, what: 'the account page', logger });
  const assetsDir = join(bundleDir, 'assets');
  return async (request, response, path) => {
    if (path !== ACCOUNT_PATH && !path.startsWith(`${ACCOUNT_PATH}/`)) return false;
    const isRead = request.method === 'GET' || request.method === 'HEAD';
    if (path.startsWith(`${ACCOUNT_ASSETS_URL_PATH}/`)) {
      await sendAsset(response, assetsDir, isRead ? path.slice(ACCOUNT_ASSETS_URL_PATH.length + 1) : '');
      return true;
    }
    if (!isRead || (path !== ACCOUNT_PATH && path !== `${ACCOUNT_PATH}/devices`)) return false;
    if (path !== ACCOUNT_PATH) {
      // Relative, so that it holds behind a proxy that serves the API under a prefix.
      response.writeHead(308, { Location: '../account' }).end();
      return true;
    }
    await sendPage(response);
    return true;
  };
}
