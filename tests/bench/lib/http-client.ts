/**
 * POSTs over node:http with keep-alive: about a quarter of `fetch`'s CPU per request (0.1 against
 * 0.4 ms here), which matters when the bench sends hundreds a second on the cores it measures.
 */
import { Agent, request } from 'node:http';

const agent = new Agent({
  keepAlive: true,
  /** Enough connections per instance for a storm the servers fall behind on, few enough to stay far from the open-files limit. */
  maxSockets: 512,
  // An idle connection is dropped before the server's keep-alive timeout (Node's default, 5 s)
  // ends it: reusing one the server is closing fails the request with ECONNRESET. A request in
  // flight is not affected: the agent ends only free sockets on this timeout.
  timeout: 4_000,
});

export function postJson(url: string, body: object, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method: 'POST', agent, headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}
