/**
 * Group commit for calls from many callers: a call made while a batch is out waits and goes with
 * the others in the next batch, so N concurrent calls cost about one statement (and one WAL flush)
 * per round trip, not N. A call made alone goes at once: no timer, no added latency when quiet.
 *
 * `send` answers each item in order. When a batch of several fails with an error that is not a
 * lost connection, each of its items is sent again alone, so one bad call fails only itself.
 */
export class Batcher<I, O> {
  private queue: { item: I; resolve(out: O): void; reject(err: unknown): void }[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly send: (items: I[]) => Promise<O[]>,
    private readonly options: {
      /** Items per batch at most. Default 500. */
      maxBatch?: number;
      /** Batches out at once. Default 1. */
      maxInFlight?: number;
      /** Whether an error means the connection went away (then retrying items alone is no use). */
      isConnectionError?: (err: unknown) => boolean;
    } = {},
  ) {}

  add(item: I): Promise<O> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // Calls made in the same turn go together.
        queueMicrotask(() => {
          this.scheduled = false;
          this.pump();
        });
      }
    });
  }

  private pump(): void {
    const maxInFlight = this.options.maxInFlight ?? 1;
    while (this.queue.length && this.inFlight < maxInFlight) {
      const batch = this.queue.splice(0, this.options.maxBatch ?? 500);
      this.inFlight++;
      void this.sendBatch(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async sendBatch(batch: typeof this.queue): Promise<void> {
    try {
      const outs = await this.send(batch.map((b) => b.item));
      for (const [i, b] of batch.entries()) b.resolve(outs[i]!);
    } catch (err) {
      if (batch.length === 1 || this.options.isConnectionError?.(err)) {
        for (const b of batch) b.reject(err);
        return;
      }
      await Promise.all(batch.map((b) => this.sendBatch([b])));
    }
  }
}
