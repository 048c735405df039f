/** One item's answer when the items of a failed batch are tried again each on its own. */
export type Settled<O> = { ok: true; value: O } | { ok: false; error: unknown };

export interface GroupCommitOptions<I, O> {
  /**
   * When calls made together are sent. "microtask" (default): calls made in the same synchronous
   * stretch go together — no added latency. "turn": every call made in this turn of the event loop
   * (setImmediate), so callers that each await something first still meet in one batch.
   */
  collect?: "microtask" | "turn";
  /** Items per batch at most. Default 500. */
  maxBatch?: number;
  /** Batches out at once. Default 1. */
  maxInFlight?: number;
  /**
   * Whether the items of a batch that failed with `err` should be tried again each on its own, so
   * that one bad item fails alone. Default: never (every item gets the batch's error). Answer false
   * where trying again cannot help: a lost connection, a closed store.
   */
  retryAlone?: (err: unknown) => boolean;
  /**
   * How the items are tried again each on its own. Default: `send([item])` for each. A store may
   * do better, e.g. SQLite: one transaction, each item in a savepoint. A throw fails every item.
   */
  sendEach?: (items: I[]) => Settled<O>[] | Promise<Settled<O>[]>;
}

/**
 * Group commit: one batch in flight, calls made meanwhile go together in the next; a call made
 * when nothing is out goes at once (no timer). N concurrent calls then cost about one transaction
 * — one WAL flush, one round trip — per batch instead of N, and the batch size follows the load.
 *
 * `send` answers each item in order. A bad item fails alone when `retryAlone` allows it.
 *
 * Used by every batcher of the engine: the worker's commits (runtime/commit-queue.ts), the
 * PostgreSQL store's createRun/getHook/resumeHook, and every write of the SQLite store.
 *
 * @example
 * const creates = new GroupCommit((runs: NewRun[]) => insertAll(runs), { retryAlone: (e) => !lost(e) });
 * await creates.add(run);
 */
export class GroupCommit<I, O> {
  private queue: { item: I; resolve(out: O): void; reject(err: unknown): void }[] = [];
  private inFlight = 0;
  private scheduled = false;
  private idle: (() => void)[] = [];

  constructor(
    private readonly send: (items: I[]) => O[] | Promise<O[]>,
    private readonly options: GroupCommitOptions<I, O> = {},
  ) {}

  /** Queues an item for the next batch; resolves with its answer. */
  add(item: I): Promise<O> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Items waiting or out. */
  get size(): number {
    return this.queue.length + this.inFlight;
  }

  /** Resolves when nothing is waiting or out (every item added until then has its answer). */
  drain(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const pump = () => {
      this.scheduled = false;
      this.pump();
    };
    if (this.options.collect === "turn") setImmediate(pump);
    else queueMicrotask(pump);
  }

  private pump(): void {
    const maxInFlight = this.options.maxInFlight ?? 1;
    while (this.queue.length && this.inFlight < maxInFlight) {
      const batch = this.queue.splice(0, this.options.maxBatch ?? 500);
      this.inFlight++;
      void this.sendBatch(batch).finally(() => {
        this.inFlight--;
        // Calls made while this batch was out wait for the next collection point rather than go
        // at once: the callers just answered often add more, and those join the same batch.
        if (this.queue.length) this.schedule();
        else if (this.inFlight === 0) for (const done of this.idle.splice(0)) done();
      });
    }
  }

  private async sendBatch(batch: typeof this.queue): Promise<void> {
    const items = batch.map((b) => b.item);
    try {
      const outs = await this.send(items);
      for (const [i, b] of batch.entries()) b.resolve(outs[i]!);
      return;
    } catch (err) {
      if (batch.length === 1 || !this.options.retryAlone?.(err)) {
        for (const b of batch) b.reject(err);
        return;
      }
    }
    let settled: Settled<O>[];
    try {
      settled = this.options.sendEach
        ? await this.options.sendEach(items)
        : await Promise.all(items.map((item) => this.sendAlone(item)));
    } catch (err) {
      for (const b of batch) b.reject(err);
      return;
    }
    for (const [i, b] of batch.entries()) {
      const s = settled[i]!;
      if (s.ok) b.resolve(s.value);
      else b.reject(s.error);
    }
  }

  private async sendAlone(item: I): Promise<Settled<O>> {
    try {
      return { ok: true, value: (await this.send([item]))[0]! };
    } catch (error) {
      return { ok: false, error };
    }
  }
}
