import { createGraphiQLFetcher, type Fetcher, type FetcherOpts, type FetcherParams, type FetcherReturnType } from '@graphiql/toolkit';
import { getOperationAST } from 'graphql';
import { CloseCode, createClient, type FormattedExecutionResult } from 'graphql-ws/client';
import { endedSessionReasonOf, TOKEN_EXPIRED_CLOSE_CODE } from '../../realtime/close-codes.js';

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
    const message = closedMessage(error, hasReceived, headers);
    // A result rather than a thrown Error, which the pane would show with its stack trace.
    if (message) yield { errors: [{ message }] };
  } finally {
    await client.dispose();
  }
}

/** What the pane says when the server closed the socket; nothing for the 4401 that follows a `sessionRevoked` event. */
function closedMessage(event: CloseEvent, hasReceived: boolean, headers: Record<string, unknown>): string | undefined {
  const closed = `The server closed the socket: ${event.code} ${event.reason}`.trim();
  if (event.code === TOKEN_EXPIRED_CLOSE_CODE) return `${closed}. Run refreshSession and put the new accessToken in Headers.`;
  if (event.code !== CloseCode.Unauthorized) return closed;
  if (hasReceived) return undefined;
  return `${closed}. ${adviceFor(event.reason, headers)}`;
}

/** How a session ended, in words, by its RevocationReason. */
const ENDINGS: Record<string, string> = {
  LOGOUT: 'it was signed out',
  REVOKED: 'it was revoked',
  EXPIRED: 'it expired',
  REFRESH_TOKEN_REUSE: 'one of its refresh tokens was used twice',
  PASSWORD_CHANGED: 'the password was changed',
  SESSION_LIMIT: 'too many newer sessions were signed in',
};

const SIGN_IN_AGAIN = 'Run Login (or SignUp) and put the new accessToken in Headers.';

/**
 * What to do about a 4401 that ended a subscription before anything arrived. Asking for the header
 * is only right when there is none: with a token whose session is over, the person must sign in again.
 */
function adviceFor(closeReason: string, headers: Record<string, unknown>): string {
  const ended = endedSessionReasonOf(closeReason);
  if (ended) return `The session of the token in Headers has ended: ${ENDINGS[ended] ?? 'it is over'}. ${SIGN_IN_AGAIN}`;
  if (!Object.keys(headers).some((name) => name.toLowerCase() === 'authorization')) return 'Put { "Authorization": "Bearer <accessToken>" } in Headers.';
  return `The token in Headers is not a live access token: mistyped, not "Bearer <accessToken>", or replaced by a refresh. ${SIGN_IN_AGAIN}`;
}
