/**
 * A push-to-pull queue: events pushed before anyone pulls are kept, in order, up to a
 * bound. A consumer that falls further behind than that (a stalled socket) fails with
 * SlowConsumerError instead of letting the buffer grow without limit.
 */
export class SlowConsumerError extends Error {
  override readonly name = 'SlowConsumerError';
}

export class AsyncQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private readonly waiters: Array<{ resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void }> = [];
  private closed = false;
  private failure: unknown;

  constructor(
    private readonly onClose: () => void = () => {},
    private readonly maxBuffered = 1000,
  ) {}

  push(item: T): void {
    if (this.closed) return;
    const waiter = this.waiters.shift();
    if (waiter) return waiter.resolve({ value: item, done: false });
    if (this.items.length >= this.maxBuffered) {
      return this.fail(new SlowConsumerError(`the subscriber fell more than ${this.maxBuffered} events behind`));
    }
    this.items.push(item);
  }

  /** Ends the stream with an error, after the events already queued. */
  fail(error: unknown): void {
    if (this.closed) return;
    this.failure = error;
    this.items.length = 0;
    this.close();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.items.length > 0) return Promise.resolve({ value: this.items.shift()!, done: false });
    if (this.failure !== undefined) {
      const failure = this.failure;
      this.failure = undefined;
      return Promise.reject(failure);
    }
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  return(): Promise<IteratorResult<T>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
    const failure = this.failure;
    for (const waiter of this.waiters.splice(0)) {
      if (failure !== undefined) {
        this.failure = undefined;
        waiter.reject(failure);
      } else waiter.resolve({ value: undefined, done: true });
    }
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}
