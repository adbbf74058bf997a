/**
 * A child process of the fleet benchmark: holds graphql-ws sockets subscribed to `sessionRevoked`
 * and reports, for each socket that closes, its event and close, timed on the wall clock. Sockets
 * live in several such processes because one process may not hold 20,000 of them (open files).
 * Started by client-workers.ts, and driven by it over the IPC channel.
 */
import { disposeAll, openSubscribers, within, type Subscriber } from './subscribers.js';

/** One socket to open: the session it authenticates as, on the instance at `url`. */
export interface SocketAssignment {
  url: string;
  sessionId: string;
  accessToken: string;
}

export type ToWorker = { type: 'open'; sockets: SocketAssignment[] } | { type: 'clock' } | { type: 'flush' } | { type: 'close' };

export type FromWorker =
  | { type: 'opened' }
  | { type: 'failed'; message: string }
  | { type: 'clock'; now: number }
  | { type: 'outcomes'; outcomes: SocketOutcome[] }
  | { type: 'flushed' };

/** What one socket saw, told once it closed. Times are wall-clock ms: `performance.timeOrigin + performance.now()`. */
export interface SocketOutcome {
  sessionId: string;
  /** When its `sessionRevoked` event arrived; null when none did. */
  eventAt: number | null;
  /** What was wrong with the event: none came, or another session's or reason's. */
  problem: string | null;
  closeCode: number;
  closedAt: number;
}

/** Outcomes are sent in batches this often: one IPC message per closed socket would cost the storm CPU. */
const REPORT_EVERY_MS = 50;
/** graphql-ws settles a subscription as its socket closes; this bounds the wait if it ever does not. */
const EVENT_AFTER_CLOSE_MS = 1_000;

const subscribers: Subscriber[] = [];
let pending: SocketOutcome[] = [];
let isClosing = false;

const wallClock = (performanceNow: number) => performance.timeOrigin + performanceNow;

function send(message: FromWorker): void {
  process.send!(message);
}

async function open(sockets: SocketAssignment[]): Promise<void> {
  const byUrl = new Map<string, SocketAssignment[]>();
  for (const socket of sockets) {
    const assigned = byUrl.get(socket.url) ?? [];
    assigned.push(socket);
    byUrl.set(socket.url, assigned);
  }
  await Promise.all(
    [...byUrl].map(async ([url, assigned]) => {
      const opened = await openSubscribers(url, assigned, { subscribe: true });
      subscribers.push(...opened);
      for (const subscriber of opened) void subscriber.closed.then((closed) => record(subscriber, closed.value, closed.at));
    }),
  );
}

async function record(subscriber: Subscriber, closeCode: number, closedAt: number): Promise<void> {
  if (isClosing) return;
  let eventAt: number | null = null;
  let problem: string | null = null;
  try {
    const { value, at } = await within(subscriber.event, EVENT_AFTER_CLOSE_MS, 'sessionRevoked');
    eventAt = wallClock(at);
    if (value.sessionId !== subscriber.sessionId || value.reason !== 'REVOKED') problem = `wrong event ${JSON.stringify(value)}`;
  } catch (error) {
    problem = (error as Error).message;
  }
  pending.push({ sessionId: subscriber.sessionId, eventAt, problem, closeCode, closedAt: wallClock(closedAt) });
}

function report(): void {
  if (pending.length === 0) return;
  send({ type: 'outcomes', outcomes: pending });
  pending = [];
}

setInterval(report, REPORT_EVERY_MS);

process.on('message', (message: ToWorker) => {
  if (message.type === 'open') {
    open(message.sockets).then(
      () => send({ type: 'opened' }),
      (error: unknown) => send({ type: 'failed', message: String(error) }),
    );
  } else if (message.type === 'clock') {
    send({ type: 'clock', now: wallClock(performance.now()) });
  } else if (message.type === 'flush') {
    report();
    send({ type: 'flushed' });
  } else {
    isClosing = true;
    disposeAll(subscribers);
    process.disconnect();
    process.exit(0);
  }
});
