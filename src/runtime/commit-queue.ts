import type { CommitResult, RunCommit } from "../store/records.js";
import type { Store } from "../store/store.js";

/**
 * Batches the commits runs make together into one `store.commit` call, each commit still checked on
 * its own.
 *
 * One batch is in flight at a time: commits submitted while it is out wait and go together in the
 * next one. The batch size follows the load on its own — one commit alone when the worker is quiet
 * (no added latency), hundreds per round trip when it is busy — which is what makes a networked
 * store (one transaction and one WAL flush per batch) keep up.
 */
export class CommitQueue {
  private pending: { commit: RunCommit; resolve(r: CommitResult): void; reject(e: unknown): void }[] = [];
  private flushing = false;

  constructor(
    private readonly store: Store,
    private readonly maxBatch = 500,
  ) {}

  submit(commit: RunCommit): Promise<CommitResult> {
    return new Promise((resolve, reject) => {
      this.pending.push({ commit, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        // A microtask, not a macrotask: commits made in the same turn go together, and stores batch
        // across turns themselves (SQLite group-commits every write of a turn).
        queueMicrotask(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    try {
      while (this.pending.length) {
        const batch = this.pending.splice(0, this.maxBatch);
        try {
          const results = await this.store.commit(batch.map((p) => p.commit));
          for (const [i, p] of batch.entries()) p.resolve(results[i]!);
        } catch (err) {
          for (const p of batch) p.reject(err);
        }
      }
    } finally {
      this.flushing = false;
    }
  }
}
