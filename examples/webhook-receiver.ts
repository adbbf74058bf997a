import { createServer, type Server } from 'node:http';
import { Webhook } from 'standardwebhooks';

export interface SessionEvent {
  type: string; // session.created, session.ended, …
  id: string; // the same on every retry: skip one already handled
  data: { userId: string; externalId: string | null; sessionId: string | null; isNewDevice: boolean | null; reason: string | null };
}

/** Verifies each delivery with the endpoint's secret (whsec_…), then hands it on; a refusal (or a throw) means "send it again". */
export function receiveSessionEvents(secret: string, onEvent: (event: SessionEvent) => void): Server {
  const webhook = new Webhook(secret);
  return createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk));
    request.on('end', () => {
      try {
        onEvent(webhook.verify(body, request.headers as Record<string, string>) as SessionEvent);
        response.writeHead(204).end();
      } catch {
        response.writeHead(400).end();
      }
    });
  });
}
