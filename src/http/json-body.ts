import type { IncomingMessage } from 'node:http';
import { parse as parseContentType } from 'content-type';

export type BodyRead =
  | { ok: true; body: unknown }
  | { ok: false; status: 400 | 413 | 415; message: string };

/**
 * Reads a JSON request body of at most `limit` bytes. Like Express's `json()` before it: only
 * `application/json` in UTF-8, only an object or an array at the top, and an empty body reads as
 * `{}`. Compressed bodies are refused rather than inflated, so `limit` bounds the work too.
 */
export async function readJsonBody(request: IncomingMessage, limit: number): Promise<BodyRead> {
  const refused = refuseHeaders(request, limit);
  if (refused) return refused;
  const text = await readText(request, limit);
  if (typeof text !== 'string') return text;
  const start = text.trimStart();
  if (start === '') return { ok: true, body: {} };
  if (start[0] !== '{' && start[0] !== '[') return notJson;
  try {
    return { ok: true, body: JSON.parse(text) as unknown };
  } catch {
    return notJson;
  }
}

const notJson: BodyRead = { ok: false, status: 400, message: 'Request body is not valid JSON.' };
const tooLarge: BodyRead = { ok: false, status: 413, message: 'Request body is too large.' };

function refuseHeaders(request: IncomingMessage, limit: number): BodyRead | undefined {
    const notJsonType: BodyRead = { ok: false, status: 415, message: 'POST requests to /graphql must have Content-Type: application/json.' };
  let charset: string | undefined;
  try {
    const contentType = parseContentType(request);
    if (contentType.type !== 'application/json') return notJsonType;
    charset = contentType.parameters.charset?.toLowerCase();
  } catch {
    return notJsonType;
  }
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') return { ok: false, status: 415, message: `Unsupported charset "${charset}": send UTF-8.` };
  const encoding = request.headers['content-encoding']?.toLowerCase();
  if (encoding !== undefined && encoding !== 'identity') return { ok: false, status: 415, message: 'Compressed request bodies are not accepted.' };
  if (Number(request.headers['content-length'] ?? 0) > limit) return tooLarge;
  return undefined;
}

/** The body as UTF-8, or a refusal once it passes `limit` bytes (the rest is left for Node to discard). */
function readText(request: IncomingMessage, limit: number): Promise<string | BodyRead> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (result: string | BodyRead) => {
      request.off('data', onData).off('end', onEnd).off('error', onError).off('close', onError);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return stop(tooLarge);
      chunks.push(chunk);
    };
    const onEnd = () => stop(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'));
    const onError = () => stop({ ok: false, status: 400, message: 'Bad request.' });
    // 'close' without 'end': the client went away mid-body.
    request.on('data', onData).on('end', onEnd).on('error', onError).on('close', onError);
  });
}
