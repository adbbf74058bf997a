import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode } from '../errors.js';

/** A route's handler: plain `node:http`, with no framework between the socket and Apollo. */
export type Handler = (request: IncomingMessage, response: ServerResponse) => void | Promise<void>;

/**
 * Sends a whole answer in one `end()`. A string body lets Node write the headers and the body in
 * one syscall, and compute Content-Length itself; a HEAD request gets the headers only.
 */
export function send(response: ServerResponse, status: number, contentType: string, body: string): void {
  response.statusCode = status;
  response.setHeader('Content-Type', contentType);
  response.end(body);
}

export function sendJson(response: ServerResponse, status: number, value: unknown): void {
  send(response, status, 'application/json; charset=utf-8', JSON.stringify(value));
}

export function sendText(response: ServerResponse, status: number, text: string): void {
  send(response, status, 'text/plain; charset=utf-8', text);
}

/** A refusal before GraphQL runs (not JSON, too large, wrong origin), in the shape of a GraphQL error. */
export function sendTransportError(response: ServerResponse, status: number, message: string, code?: ErrorCode): void {
  const fallback = status >= 500 ? ErrorCode.InternalServerError : ErrorCode.BadRequest;
  sendJson(response, status, { errors: [{ message, extensions: { code: code ?? fallback } }] });
}

/** The request's path, without its query string. */
export function pathOf(request: IncomingMessage): string {
  const url = request.url ?? '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/** The request's query string with its `?`, or an empty string. */
export function searchOf(request: IncomingMessage): string {
  const url = request.url ?? '';
  const query = url.indexOf('?');
  return query === -1 ? '' : url.slice(query);
}
