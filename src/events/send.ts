import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { describeAddressProblem, describeUrlProblem, guardedLookup, hostAddress, type AddressPolicy } from './endpoint-address.js';
import type { OutgoingRequest } from './formats.js';

/** How one attempt ended: a 2xx; or a failure, with the status when there was an answer. */
export type SendResult = { ok: true; status: number } | { ok: false; status?: number; error: string };

export interface SenderOptions {
  policy: AddressPolicy;
  /** WEBHOOK_TIMEOUT_SECONDS, in ms: from connecting to the end of the answer. */
  timeoutMs: number;
  /** Connections kept open per receiver. */
  maxSockets: number;
}

const USER_AGENT = 'session-device-server-webhooks/1';

/**
 * POSTs deliveries. Redirects are not followed (a 3xx is a failure), every address connected to
 * is checked against the policy, the whole exchange has one deadline, and the answer's body is
 * read and thrown away: nothing a receiver says is stored or logged but its status.
 */
export function createSender({ policy, timeoutMs, maxSockets }: SenderOptions) {
  const lookup = guardedLookup(policy);
  const agents = {
    'http:': new HttpAgent({ keepAlive: true, maxSockets }),
    'https:': new HttpsAgent({ keepAlive: true, maxSockets }),
  };

  return {
    send(target: string, { headers, body }: OutgoingRequest): Promise<SendResult> {
      const refused = describeUrlProblem(target, policy) ?? addressProblem(target, policy);
      if (refused) return Promise.resolve({ ok: false, error: `refused: ${refused}` });
      const url = new URL(target);
      const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
      return new Promise((resolve) => {
        const outgoing = request(url, {
          method: 'POST',
          agent: agents[url.protocol as 'http:' | 'https:'],
          lookup,
          signal: AbortSignal.timeout(timeoutMs),
          headers: { ...headers, 'content-length': String(Buffer.byteLength(body)), 'user-agent': USER_AGENT },
        }, (response) => {
          const status = response.statusCode ?? 0;
          response.resume();
          response.on('end', () => resolve(status >= 200 && status < 300 ? { ok: true, status } : { ok: false, status, error: `answered ${status}` }));
          response.on('error', (error) => resolve({ ok: false, status, error: describeError(error, timeoutMs) }));
        });
        outgoing.on('error', (error) => resolve({ ok: false, error: describeError(error, timeoutMs) }));
        outgoing.end(body);
      });
    },

    close(): void {
      agents['http:'].destroy();
      agents['https:'].destroy();
    },
  };
}

/** A host written as an address is connected to without a lookup, so it is checked here. */
function addressProblem(target: string, policy: AddressPolicy): string | null {
  const address = hostAddress(new URL(target).hostname);
  return address ? describeAddressProblem(address, policy) : null;
}

function describeError(error: Error & { code?: string }, timeoutMs: number): string {
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return `no answer within ${timeoutMs / 1000} s`;
  return error.code ? `${error.code}: ${error.message}` : error.message;
}
