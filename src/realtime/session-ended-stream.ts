import type { SessionEndedEvent } from './session-event-bus.js';

/**
 * The source stream of one `sessionRevoked` subscription: at most one event, then the end.
 * `delivered` settles once the consumer has come back for more after taking the event (graphql-ws
 * asks for the next value only after the previous one was written to the socket), with true, or
 * has stopped listening, with false, so the socket can be closed without cutting the event off.
 */
export class SessionEndedStream implements AsyncIterableIterator<SessionEndedEvent> {
  readonly delivered: Promise<boolean>;
  private event: SessionEndedEvent | undefined;
  private isTaken = false;
  private isEnded = false;
  private waiting: ((result: IteratorResult<SessionEndedEvent>) => void) | undefined;
  private markDelivered!: (isWritten: boolean) => void;

  constructor() {
    this.delivered = new Promise((resolve) => { this.markDelivered = resolve; });
  }

  push(event: SessionEndedEvent): void {
    if (this.isEnded || this.event) return;
    this.event = event;
    if (this.waiting) {
      this.isTaken = true;
      this.waiting({ value: event, done: false });
      this.waiting = undefined;
    }
  }

  next(): Promise<IteratorResult<SessionEndedEvent>> {
    if (this.isTaken) this.markDelivered(true);
    if (this.isTaken || this.isEnded) return this.return();
    if (this.event) {
      this.isTaken = true;
      return Promise.resolve({ value: this.event, done: false });
    }
    return new Promise((resolve) => { this.waiting = resolve; });
  }

  return(): Promise<IteratorResult<SessionEndedEvent>> {
    this.isEnded = true;
    this.markDelivered(false);
    this.waiting?.({ value: undefined, done: true });
    this.waiting = undefined;
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
