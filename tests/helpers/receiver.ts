import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gql } from './graphql.js';
import type { TestServer } from './server.js';
import { waitFor } from './ws.js';

export interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  body: string;
  /** When it arrived, by `performance.now()`. */
  at: number;
}

/** How the receiver answers the next requests: a status, after a delay, or not at all (`hang`). */
export interface Behaviour {
  status: number;
  delayMs?: number;
  hang?: boolean;
}

/**
 * A webhook receiver on a free loopback port: records every request it is sent and answers as
 * told. `goDown()` stops listening (connections are refused), `comeUp()` listens again on the same port.
 */
export class Receiver {
  readonly requests: ReceivedRequest[] = [];
  behaviour: Behaviour = { status: 204 };
  private server: Server;
  private port = 0;
  private readonly sockets = new Set<Socket>();
  private readonly hung = new Set<ServerResponse>();

  private constructor() {
    this.server = this.makeServer();
  }

  static async start(): Promise<Receiver> {
    const receiver = new Receiver();
    await receiver.comeUp();
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  /** The Standard Webhooks bodies received, parsed. */
  events<T = { type: string; id: string; timestamp: string; data: Record<string, any> }>(): T[] {
    return this.requests.map((request) => JSON.parse(request.body) as T);
  }

  async waitForRequests(count: number, what = `${count} requests`, timeoutMs = 10_000): Promise<ReceivedRequest[]> {
    await waitFor(() => this.requests.length >= count, `${what} at the receiver (has ${this.requests.length})`, timeoutMs);
    return this.requests;
  }

  async comeUp(): Promise<void> {
    this.server = this.makeServer();
    this.server.listen(this.port, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Refuses connections from now on, and drops those open (the sender's kept-alive ones too). */
  async goDown(): Promise<void> {
    const closed = new Promise((resolve) => this.server.close(resolve));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  async close(): Promise<void> {
    for (const response of this.hung) response.destroy();
    if (this.server.listening) await this.goDown();
  }

  private makeServer(): Server {
    const server = createServer((request, response) => {
      let body = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => { body += chunk; });
      request.on('end', () => {
        this.requests.push({ headers: request.headers, body, at: performance.now() });
        const { status, delayMs = 0, hang } = this.behaviour;
        if (hang) {
          this.hung.add(response);
          return;
        }
        setTimeout(() => response.writeHead(status).end(), delayMs);
      });
    });
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    return server;
  }
}

const ENDPOINT_FIELDS = 'id url format eventTypes audience disabledAt disabledReason createdBy';

export interface CreatedEndpoint {
  endpoint: { id: string; url: string; format: string; eventTypes: string[]; audience: string | null; disabledAt: string | null; disabledReason: string | null };
  secret: string | null;
}

/** Adds an endpoint through the admin API, with a key holding webhooks:manage. */
export async function createEndpoint(server: Pick<TestServer, 'url'>, key: string, input: Record<string, unknown>): Promise<CreatedEndpoint> {
  const result = await gql<{ createWebhookEndpoint: CreatedEndpoint }>(
    server,
    `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret endpoint { ${ENDPOINT_FIELDS} } } }`,
    { token: key, variables: { input } },
  );
  if (!result.data?.createWebhookEndpoint) throw new Error(`createWebhookEndpoint failed: ${JSON.stringify(result.errors)}`);
  return result.data.createWebhookEndpoint;
}
