import { createGraphiQLFetcher, type Fetcher, type FetcherOpts, type FetcherParams, type FetcherReturnType } from '@graphiql/toolkit';
import { getOperationAST } from 'graphql';
import { CloseCode, createClient, type FormattedExecutionResult } from 'graphql-ws/client';
import { TOKEN_EXPIRED_CLOSE_CODE } from '../../realtime/close-codes.js';

/**
 * Queries and mutations go over HTTP to `endpoint`; subscriptions over a WebSocket to the same URL,
 * `ws:` or `wss:` as the page. Both send what the Headers tab holds, so `Authorization` works for each.
 */
export function createFetcher(endpoint: URL): Fetcher {
  const overHttp = createGraphiQLFetcher({ url: endpoint.href });
  const socketUrl = new URL(endpoint);
  socketUrl.protocol = endpoint.protocol === 'https:' ? 'wss:' : 'ws:';
  return (params, options) => {
    if (!isSubscription(params, options)) return overHttp(params, options);
    // The toolkit types results as graphql-js's ExecutionResult; what comes over any wire is the formatted, JSON kind.
    return subscribe(socketUrl.href, params, options?.headers ?? {}) as unknown as FetcherReturnType;
  };
}

function isSubscription(params: FetcherParams, options: FetcherOpts | undefined): boolean {
  if (!options?.documentAST) return false;
  return getOperationAST(options.documentAST, params.operationName ?? undefined)?.operation === 'subscription';
}

/**
 * One socket per subscription, with the headers as `connection_init`'s payload. GraphiQL's own socket
 * fetcher turns the 4401 that follows `sessionRevoked` (CloseCode.Unauthorized) into an error that replaces the event in the
 * result pane within milliseconds; here that close just ends the subscription, so the event stays.
 */
async function* subscribe(url: string, params: FetcherParams, headers: Record<string, unknown>): AsyncGenerator<FormattedExecutionResult<Record<string, unknown>, unknown>> {
  // The headers are fixed text: after 4419 only the person can put a fresh token in, so it is final here.
  const client = createClient({ url, connectionParams: headers, shouldRetry: (event) => !(event instanceof CloseEvent && event.code === TOKEN_EXPIRED_CLOSE_CODE) });
  let hasReceived = false;
  try {
    for await (const result of client.iterate({ query: params.query, variables: params.variables, operationName: params.operationName })) {
      hasReceived = true;
      yield result;
    }
  } catch (error) {
    if (!(error instanceof CloseEvent)) throw error;
    if (error.code === TOKEN_EXPIRED_CLOSE_CODE) throw new Error(`The server closed the socket: ${error.code} ${error.reason}. Run refreshSession and put the new accessToken in Headers.`);
    if (error.code !== CloseCode.Unauthorized) throw new Error(`The server closed the socket: ${error.code} ${error.reason}`.trim());
    if (hasReceived) return;
    throw new Error(`The server closed the socket: ${error.code} ${error.reason}. Put { "Authorization": "Bearer <accessToken>" } in Headers.`);
  } finally {
    await client.dispose();
  }
}
