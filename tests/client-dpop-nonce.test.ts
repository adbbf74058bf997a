// The client's answer to a server that asks for its nonce in DPoP proofs (RFC 9449 §8): this
// server never does (seen proofs are shared through the database instead), so a scripted one asks.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSessionClient } from '../src/client/index.js';

describe('the client and a server that asks for a DPoP nonce', () => {
  const proofs: Array<Record<string, unknown>> = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const claims = decodeJwt(String(request.headers.dpop));
    proofs.push(claims);
    response.setHeader('content-type', 'application/json');
    if (claims.nonce !== 'n-1') {
      response.writeHead(401, { 'www-authenticate': 'DPoP error="use_dpop_nonce"', 'dpop-nonce': 'n-1' });
      response.end(JSON.stringify({ errors: [{ message: 'use the nonce', extensions: { code: 'UNAUTHENTICATED' } }] }));
      return;
    }
    response.end(JSON.stringify({ data: { __typename: 'Query' } }));
  });
  let url: string;
  beforeAll(async () => {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/graphql`;
  });
  afterAll(() => { server.close(); });

  it('retries once with the nonce, in a new proof', async () => {
    const client = createSessionClient({ url, forcedLogout: false });
    expect(await client.request('query Probe { __typename }')).toEqual({ __typename: 'Query' });
    expect(proofs).toHaveLength(2);
    expect(proofs[0]).not.toHaveProperty('nonce');
    expect(proofs[1]).toMatchObject({ nonce: 'n-1', htm: 'POST', htu: url });
    expect(proofs[1]!.jti).not.toBe(proofs[0]!.jti);
    client.dispose();
  });
});
