import { SessionClientError, toClientError, type GraphQLErrorBody } from './errors.js';
import { operationNameOf, type TypedDocument } from './operations.js';

/** The subset of `fetch` the client uses, so any implementation (browser, Node, React Native) fits. */
export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body: string; credentials?: 'include' | 'same-origin' | 'omit' }) => Promise<{
  status: number;
  json(): Promise<unknown>;
}>;

export interface HttpTransport {
  /**
   * POSTs one operation as JSON, with `Authorization: Bearer <accessToken>` when a token is given.
   * Resolves with `data`; rejects with the typed error of the answer's first error.
   */
  post<TData, TVariables>(document: TypedDocument<TData, TVariables> | string, variables: TVariables | undefined, accessToken?: string): Promise<TData>;
}

/** @param credentials `include` in cookie mode, so the refresh-token cookie goes along and is accepted. */
export function createHttpTransport(url: string, fetchImpl: FetchLike, credentials: 'include' | 'same-origin'): HttpTransport {
  return {
    async post<TData, TVariables>(document: string, variables: TVariables | undefined, accessToken?: string): Promise<TData> {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (accessToken) headers.authorization = `Bearer ${accessToken}`;
      const body = JSON.stringify({ query: document, operationName: operationNameOf(document), variables });
      const response = await fetchImpl(url, { method: 'POST', headers, body, credentials });
      const answer = (await response.json().catch(() => undefined)) as { data?: TData | null; errors?: GraphQLErrorBody[] } | undefined;
      if (!answer || typeof answer !== 'object') throw new SessionClientError(`Unreadable answer (HTTP ${response.status}).`, 'BAD_RESPONSE', response.status);
      if (answer.errors?.length) throw toClientError(answer.errors, response.status);
      if (answer.data == null) throw new SessionClientError(`No data in the answer (HTTP ${response.status}).`, 'BAD_RESPONSE', response.status);
      return answer.data;
    },
  };
}
