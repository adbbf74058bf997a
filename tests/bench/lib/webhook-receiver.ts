import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sleep } from './harness.js';

/** A webhook receiver on a free loopback port, in this process: answers 204 at once and notes when each session's `session.ended` arrived. */
export class Receiver {
  /** The first arrival of each session's event, by `performance.now()`. */
  readonly arrivals = new Map<string, number>();
  duplicates = 0;
  /** Requests that were not a `session.ended`, which the endpoint is not subscribed to. */
  strays = 0;
  private readonly waiters = new Map<string, (at: number) => void>();

  private constructor(private readonly server: Server) {}

  static async start(): Promise<Receiver> {
    const server = createServer();
    const receiver = new Receiver(server);
    server.on('request', (request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const at = performance.now();
        response.writeHead(204).end();
        receiver.record(Buffer.concat(chunks).toString('utf8'), at);
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
  }

  /** When the session's event arrived, waiting up to `timeoutMs` for it. */
  arrival(sessionId: string, timeoutMs: number): Promise<number> {
    const at = this.arrivals.get(sessionId);
    if (at !== undefined) return Promise.resolve(at);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(sessionId);
        reject(new Error(`no session.ended for ${sessionId} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(sessionId, (arrivedAt) => {
        clearTimeout(timer);
        resolve(arrivedAt);
      });
    });
  }

  /** Resolves once every session's event arrived; rejects, naming how many are missing, after `timeoutMs`. */
  async waitForAll(sessionIds: string[], timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    let missing = sessionIds;
    for (;;) {
      missing = missing.filter((id) => !this.arrivals.has(id));
      if (missing.length === 0) return;
      if (performance.now() > deadline) throw new Error(`${missing.length} of ${sessionIds.length} events missing after ${timeoutMs} ms`);
      await sleep(20);
    }
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private record(body: string, at: number): void {
    const event = JSON.parse(body) as { type: string; data: { sessionId: string } };
    if (event.type !== 'session.ended') {
      this.strays += 1;
      return;
    }
    const { sessionId } = event.data;
    if (this.arrivals.has(sessionId)) {
      this.duplicates += 1;
      return;
    }
    this.arrivals.set(sessionId, at);
    this.waiters.get(sessionId)?.(at);
    this.waiters.delete(sessionId);
  }
}
