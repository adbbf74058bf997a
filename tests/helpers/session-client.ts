import WebSocket from 'ws';
import { createMemoryStorage, createSessionClient, type RevocationReason, type SessionClient, type SessionClientOptions, type TokenStorage } from '../../src/client/index.js';
import { scrape } from './metrics.js';
import type { TestServer } from './server.js';
import { waitFor } from './ws.js';

export const OPERATIONS = 'session_server_graphql_operations_total';

/** A client of the server in Node, with every `onSignedOut` reason it reported. */
export interface TestSessionClient {
  client: SessionClient;
  signedOut: RevocationReason[];
}

/** Creates clients of one server and disposes them, waiting until the server has let go of their sockets. */
export function sessionClients(server: () => TestServer) {
  const created: SessionClient[] = [];
  return {
    create(options: Partial<SessionClientOptions> = {}): TestSessionClient {
      const client = createSessionClient({ url: server().url, webSocketImpl: WebSocket, ...options });
      created.push(client);
      const signedOut: RevocationReason[] = [];
      client.onSignedOut((reason) => signedOut.push(reason));
      return { client, signedOut };
    },
    async disposeAll(): Promise<void> {
      for (const client of created.splice(0)) client.dispose();
      await waitFor(async () => (await gauge(server(), 'session_server_websocket_connections')) === 0, 'the sockets to close');
    },
  };
}

export async function gauge(server: TestServer, name: string): Promise<number> {
  return (await scrape(server)).value(name);
}

/** Waits until the server runs `count` subscriptions: the clients' forced-logout listeners are in place. */
export function listening(server: TestServer, count = 1): Promise<void> {
  return waitFor(async () => (await gauge(server, 'session_server_websocket_subscriptions')) === count, `${count} subscription(s)`);
}

/** How many times `operation` ran on the server since `before` (a scrape), by outcome when given. */
export async function operationsSince(server: TestServer, before: Awaited<ReturnType<typeof scrape>>, operation: string, outcome?: string): Promise<number> {
  const labels: Record<string, string> = outcome ? { operation, outcome } : { operation };
  return (await scrape(server)).value(OPERATIONS, labels) - before.value(OPERATIONS, labels);
}

/** Memory storage that also keeps every refresh token it was given, oldest first. */
export function recordingStorage(): { storage: TokenStorage; issued: string[] } {
  const inner = createMemoryStorage();
  const issued: string[] = [];
  return {
    issued,
    storage: {
      getRefreshToken: () => inner.getRefreshToken(),
      setRefreshToken: (token) => {
        issued.push(token);
        return inner.setRefreshToken(token);
      },
      clear: () => inner.clear(),
    },
  };
}
