/** The client processes of the fleet benchmark, as the bench drives them: sockets handed out, outcomes gathered. */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { FromWorker, SocketAssignment, SocketOutcome, ToWorker } from './client-worker.js';

/** Run under tsx, as this file is: `fork` passes the same node flags, so the child loads TypeScript too. */
const workerScript = fileURLToPath(new URL('./client-worker.ts', import.meta.url));
/** Sockets per client process, well under one process's open-files limit (20,000 here). */
export const SOCKETS_PER_WORKER = 5_000;
export const CLOCK_ROUND_TRIPS = 10;

export type { SocketAssignment, SocketOutcome };

/** How far the workers' wall clocks are from the bench's, as one IPC round trip can tell. */
export interface ClockCheck {
  /** The largest |difference| seen. */
  skewMs: number;
  /** Half the longest round trip: the difference is known to within this. */
  uncertaintyMs: number;
}

export class ClientWorkers {
  /** Each socket's outcome, by session id, once it closed. */
  readonly outcomes = new Map<string, SocketOutcome>();
  private awaited: { missing: Set<string>; resolve(): void } | undefined;

  private constructor(private readonly children: ChildProcess[]) {
    for (const child of children) child.on('message', (message: FromWorker) => this.receive(message));
  }

  /** One process per SOCKETS_PER_WORKER sockets. */
  static start(sockets: number): ClientWorkers {
    const count = Math.max(1, Math.ceil(sockets / SOCKETS_PER_WORKER));
    // Their stdout is the bench's stderr, so that stdout stays the report.
    return new ClientWorkers(Array.from({ length: count }, () => fork(workerScript, [], { stdio: ['ignore', process.stderr, process.stderr, 'ipc'] })));
  }

  get pids(): number[] {
    return this.children.map((child) => child.pid!);
  }

  /** Hands the sockets out in turn and resolves once every worker has opened and subscribed its own. */
  async open(sockets: SocketAssignment[]): Promise<void> {
    const shares = this.children.map((_, w) => sockets.filter((_, i) => i % this.children.length === w));
    await Promise.all(this.children.map((child, w) => this.ask(child, { type: 'open', sockets: shares[w]! }, 'opened')));
  }

  /** Resolves once every one of `sessionIds` has an outcome, or at `timeoutMs`: with those that have none. */
  async waitForOutcomes(sessionIds: string[], timeoutMs: number): Promise<string[]> {
    if (this.awaited) throw new Error('already waiting for outcomes');
    const missing = new Set(sessionIds.filter((id) => !this.outcomes.has(id)));
    if (missing.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.awaited = { missing, resolve };
        timer = setTimeout(resolve, timeoutMs);
      });
      clearTimeout(timer);
      this.awaited = undefined;
    }
    return [...missing];
  }

  /** Resolves once every worker has sent what it had: outcomes of sockets closed before this call are in. */
  async flush(): Promise<void> {
    await Promise.all(this.children.map((child) => this.ask(child, { type: 'flush' }, 'flushed')));
  }

  /** CLOCK_ROUND_TRIPS round trips to each worker; the shortest tells its clock best, as NTP's filter does. */
  async checkClocks(): Promise<ClockCheck> {
    const checks: ClockCheck[] = [];
    for (const child of this.children) {
      let best: ClockCheck | undefined;
      for (let i = 0; i < CLOCK_ROUND_TRIPS; i++) {
        const sentAt = performance.timeOrigin + performance.now();
        const { now } = await this.ask(child, { type: 'clock' }, 'clock');
        const answeredAt = performance.timeOrigin + performance.now();
        const check = { skewMs: Math.abs(now - (sentAt + answeredAt) / 2), uncertaintyMs: (answeredAt - sentAt) / 2 };
        if (!best || check.uncertaintyMs < best.uncertaintyMs) best = check;
      }
      checks.push(best!);
    }
    return { skewMs: Math.max(...checks.map((c) => c.skewMs)), uncertaintyMs: Math.max(...checks.map((c) => c.uncertaintyMs)) };
  }

  /** Closes every socket and ends the processes. */
  async close(): Promise<void> {
    await Promise.all(
      this.children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = once(child, 'exit');
        child.send({ type: 'close' } satisfies ToWorker);
        await exited;
      }),
    );
  }

  private receive(message: FromWorker): void {
    if (message.type !== 'outcomes') return;
    for (const outcome of message.outcomes) {
      this.outcomes.set(outcome.sessionId, outcome);
      this.awaited?.missing.delete(outcome.sessionId);
    }
    if (this.awaited?.missing.size === 0) this.awaited.resolve();
  }

  /** Sends `message` and resolves with the worker's next reply of type `type`; rejects if it fails or exits first. */
  private ask<T extends FromWorker['type']>(child: ChildProcess, message: ToWorker, type: T): Promise<Extract<FromWorker, { type: T }>> {
    return new Promise((resolve, reject) => {
      const onMessage = (reply: FromWorker) => {
        if (reply.type === 'failed') settle(() => reject(new Error(`client worker ${child.pid}: ${reply.message}`)));
        else if (reply.type === type) settle(() => resolve(reply as Extract<FromWorker, { type: T }>));
      };
      const onExit = (code: number | null) => settle(() => reject(new Error(`client worker ${child.pid} exited (code ${code})`)));
      const settle = (then: () => void) => {
        child.off('message', onMessage);
        child.off('exit', onExit);
        then();
      };
      child.on('message', onMessage);
      child.on('exit', onExit);
      child.send(message);
    });
  }
}
