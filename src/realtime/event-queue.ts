/**
 * An unbounded stream of values pushed by the server, for a subscription with many events
 * (`mySessionsChanged`). Ends when the consumer stops or `end` is called.
 */
export class EventQueue<T> implements AsyncIterableIterator<T> {
  private readonly buffered: T[] = [];
  private waiting: ((result: IteratorResult<T>) => void) | undefined;
  private isEnded = false;

  constructor(private readonly onEnd: () => void = () => {}) {}

  push(value: T): void {
    if (this.isEnded) return;
    if (this.waiting) {
      this.waiting({ value, done: false });
      this.waiting = undefined;
    } else {
      this.buffered.push(value);
    }
  }

  next(): Promise<IteratorResult<T>> {
    const value = this.buffered.shift();
    if (value !== undefined) return Promise.resolve({ value, done: false });
    if (this.isEnded) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => { this.waiting = resolve; });
  }

  return(): Promise<IteratorResult<T>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  end(): void {
    if (this.isEnded) return;
    this.isEnded = true;
    this.buffered.length = 0;
    this.waiting?.({ value: undefined, done: true });
    this.waiting = undefined;
    this.onEnd();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
