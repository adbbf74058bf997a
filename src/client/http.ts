import { authorizationOf, isBoundToken, type DpopProver } from './dpop.js';
import { SessionClientError, toClientError, type GraphQLErrorBody } from './errors.js';
import { operationNameOf, type TypedDocument } from './operations.js';

/** The subset of `fetch` the client uses, so any implementation (browser, Node, React Native) fits. */
export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body: string; credentials?: 'include' | 'same-origin' | 'omit' }) => Promise<{
  status: number;
  json(): Promise<unknown>;
  /** Read for a DPoP nonce the server asks for (`use_dpop_nonce`). */
  headers?: { get(name: string): string | null };
}>;

export interface HttpTransport {
  /**
   * POSTs one operation as JSON, with `Authorization: Bearer <accessToken>` (`DPoP` for a bound
   * token) when a token is given, and a DPoP proof when the client has a key.
   * Resolves with `data`; rejects with the typed error of the answer's first error.
   */
  post<TData, TVariables>(document: TypedDocument<TData, TVariables> | string, variables: TVariables | undefined, accessToken?: string): Promise<TData>;
}

/**
 * @param credentials `include` in cookie mode, so the refresh-token cookie goes along and is accepted.
 * @param prover Signs a DPoP proof for every request: a sign-in binds its session to the device's key.
 */
export function createHttpTransport(url: string, fetchImpl: FetchLike, credentials: 'include' | 'same-origin', prover?: DpopProver): HttpTransport {
  async function send(body: string, accessToken: string | undefined, nonce?: string): ReturnType<FetchLike> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (accessToken) headers.authorization = authorizationOf(accessToken);
    if (prover) headers.dpop = await prover.proof('POST', url, accessToken && isBoundToken(accessToken) ? accessToken : undefined, nonce);
    const response = await fetchImpl(url, { method: 'POST', headers, body, credentials });
    // A server that wants its nonce in proofs says so once (RFC 9449 §8): try again, once, with it.
    const asked = response.status === 401 && !nonce && prover ? response.headers?.get('dpop-nonce') : null;
    return asked && /use_dpop_nonce/.test(response.headers?.get('www-authenticate') ?? '') ? send(body, accessToken, asked) : response;
  }
  return {
    async post<TData, TVariables>(document: string, variables: TVariables | undefined, accessToken?: string): Promise<TData> {
      const body = JSON.stringify({ query: document, operationName: operationNameOf(document), variables });
      const response = await send(body, accessToken);
      const answer = (await response.json().catch(() => undefined)) as { data?: TData | null; errors?: GraphQLErrorBody[] } | undefined;
      if (!answer || typeof answer !== 'object') throw new SessionClientError(`Unreadable answer (HTTP ${response.status}).`, 'BAD_RESPONSE', response.status);
      if (answer.errors?.length) throw toClientError(answer.errors, response.status);
      if (answer.data == null) throw new SessionClientError(`No data in the answer (HTTP ${response.status}).`, 'BAD_RESPONSE', response.status);
      return answer.data;
    },
  };
}
