/**
 * Idle subscribers to the session event bus, which every event must reach as it reaches the
 * instances: plain postgres.js connections LISTENing on the server's channel, or Redis connections
 * subscribed to every channel (the Redis bus's channel name is the server's to choose, so the
 * pattern `*` is sure to take its messages). Each consumes what it gets, and counts it.
 */
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import postgres from 'postgres';
import { SESSION_EVENTS_CHANNEL } from '../../../src/realtime/session-event-bus.js';

export type Bus = 'postgres' | 'redis';

export interface IdleListeners {
  /** Messages received so far, by all of them. */
  received(): number;
  close(): Promise<void>;
}

export async function openIdleListeners(bus: Bus, count: number, urls: { databaseUrl: string; redisUrl: string }): Promise<IdleListeners> {
  return bus === 'postgres' ? listenOnPostgres(count, urls.databaseUrl) : subscribeOnRedis(count, urls.redisUrl);
}

async function listenOnPostgres(count: number, databaseUrl: string): Promise<IdleListeners> {
  let received = 0;
  const clients = Array.from({ length: count }, () => postgres(databaseUrl, { max: 1, onnotice: () => {} }));
  await Promise.all(clients.map((sql) => sql.listen(SESSION_EVENTS_CHANNEL, () => void received++)));
  return { received: () => received, close: async () => void (await Promise.all(clients.map((sql) => sql.end({ timeout: 1 })))) };
}

/** PSUBSCRIBE * in RESP, over a bare socket: no Redis client is among the dependencies. */
const PSUBSCRIBE_ALL = '*2\r\n$10\r\nPSUBSCRIBE\r\n$1\r\n*\r\n';
/** How every message pushed to a pattern subscriber begins, after its array header. */
const MESSAGE_MARK = '$8\r\npmessage\r\n';

async function subscribeOnRedis(count: number, redisUrl: string): Promise<IdleListeners> {
  let received = 0;
  const { hostname, port } = new URL(redisUrl);
  const sockets = await Promise.all(Array.from({ length: count }, () => subscribeOne(hostname, Number(port || 6379), () => void received++)));
  return {
    received: () => received,
    close: async () => {
      await Promise.all(sockets.map((socket) => { const closed = once(socket, 'close'); socket.end(); return closed; }));
    },
  };
}

/** Resolves once Redis confirmed the subscription; `onMessage` is called for each message after it. */
async function subscribeOne(host: string, port: number, onMessage: () => void): Promise<Socket> {
  const socket = connect(port, host);
  socket.setEncoding('utf8');
  await once(socket, 'connect');
  socket.write(PSUBSCRIBE_ALL);
  const [confirmation] = (await once(socket, 'data')) as [string];
  if (!confirmation.includes('psubscribe')) throw new Error(`Redis refused PSUBSCRIBE: ${confirmation}`);
  // Carried over between chunks so that a mark split across two is counted once.
  let tail = '';
  socket.on('data', (chunk: string) => {
    const text = tail + chunk;
    for (let at = text.indexOf(MESSAGE_MARK); at !== -1; at = text.indexOf(MESSAGE_MARK, at + 1)) onMessage();
    tail = text.slice(-(MESSAGE_MARK.length - 1));
  });
  return socket;
}
