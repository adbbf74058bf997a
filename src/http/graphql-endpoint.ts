import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import { ACCEPTED_CLIENT_HINTS } from '../devices/client-hints.js';
import { readJsonBody } from './json-body.js';
import { searchOf, sendTransportError, type Handler } from './respond.js';

export interface GraphQLEndpointOptions<TContext extends BaseContext> {
  apollo: ApolloServer<TContext>;
  /** Builds an operation's context; Apollo calls it once the request is a well-formed GraphQL one. */
  context(request: IncomingMessage, response: ServerResponse): Promise<TContext>;
  /** Largest POST body accepted, in bytes. */
  maxBodyBytes: number;
}

/**
 * `/graphql` over HTTP: GET with the operation in the query string, or POST with a JSON body,
 * handed to Apollo's transport-neutral `executeHTTPGraphQLRequest` as its own integrations do.
 */
export function graphqlEndpoint<TContext extends BaseContext>({ apollo, context, maxBodyBytes }: GraphQLEndpointOptions<TContext>): Handler {
  return async (request, response) => {
    // Browsers send the precise Client Hints (Windows 11, the full browser version) only when asked.
    response.setHeader('Accept-CH', ACCEPTED_CLIENT_HINTS);
    let body: unknown;
    if (request.method === 'POST') {
      const read = await readJsonBody(request, maxBodyBytes);
      if (!read.ok) {
        // The rest of a body past the limit is never read: close rather than drain it.
        if (read.status === 413) response.setHeader('Connection', 'close');
        return sendTransportError(response, read.status, read.message);
      }
      body = read.body;
    }
    const answer = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: request.method?.toUpperCase() ?? 'GET', headers: headerMapOf(request), search: searchOf(request), body },
      context: () => context(request, response),
    });
    for (const [name, value] of answer.headers) response.setHeader(name, value);
    response.statusCode = answer.status ?? 200;
    if (answer.body.kind === 'complete') {
      response.end(answer.body.string);
      return;
    }
    for await (const chunk of answer.body.asyncIterator) response.write(chunk);
    response.end();
  };
}

function headerMapOf(request: IncomingMessage): HeaderMap {
  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  return headers;
}
