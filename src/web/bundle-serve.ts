import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { send, sendText } from '../http/respond.js';
import type { Logger } from '../logger.js';

/** The bundle's file names are content hashes: a plain name, cached for good. */
const ASSET_NAME = /^[A-Za-z0-9_-]+\.(js|css)$/;
const ASSET_TYPES: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };

/** Sends one content-hashed asset of a bundle, cached for good; 404 for any other name. */
export async function sendAsset(response: ServerResponse, assetsDir: string, name: string): Promise<void> {
  const type = ASSET_NAME.exec(name)?.[1];
  const content = type === undefined ? null : await readIfExists(join(assetsDir, name));
  if (content === null) return sendText(response, 404, 'Not found.\n');
  response.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
  response.setHeader('X-Content-Type-Options', 'nosniff');
  send(response, 200, ASSET_TYPES[type!]!, content);
}

/** Sends a bundle's page with its policy; 503, and one warning, while it is not built. */
export function pageSender({ indexHtml, csp, what, logger }: { indexHtml: string; csp: string; what: string; logger: Logger }): (response: ServerResponse) => Promise<void> {
  let hasWarned = false;
  return async (response) => {
    response.setHeader('Vary', 'Accept');
    const html = await readIfExists(indexHtml);
    if (html === null) {
      if (!hasWarned) logger.warn({ path: indexHtml }, `${what} is not built: run npm run build`);
      hasWarned = true;
      return sendText(response, 503, `${what[0]!.toUpperCase()}${what.slice(1)} is not built: run \`npm run build\`.\n`);
    }
    response.setHeader('Content-Security-Policy', csp);
    response.setHeader('Cache-Control', 'no-cache');
    response.setHeader('X-Content-Type-Options', 'nosniff');
    response.setHeader('Referrer-Policy', 'no-referrer');
    send(response, 200, 'text/html; charset=utf-8', html);
  };
}

/** Read on each request, so that a build while the server runs is served at once. */
async function readIfExists(file: string): Promise<string | null> {
  return readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
}
