import type { CommitResult, RunCommit } from "../store/records.js";
import type { Store } from "../store/store.js";

/**
 * Batches the commits runs make together into one `store.commit` call, each commit still checked on
 * its own.
 */
export class CommitQueue {
  private pending: { commit: RunCommit; resolve(r: CommitResult): void; reject(e: unknown): void }[] = [];
  private scheduled = false;

  constructor(
    private readonly store: Store,
    private readonly maxBatch = 500,
  ) {}

  submit(commit: RunCommit): Promise<CommitResult> {
    return new Promise((resolve, reject) => {
      this.pending.push({ commit, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // A microtask, not a macrotask: stores batch across turns themselves (SQLite group-commits
        // every write of a turn), so waiting a turn here would only add latency.
        queueMicrotask(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    while (this.pending.length) {
      const batch = this.pending.splice(0, this.maxBatch);
      try {
        const results = await this.store.commit(batch.map((p) => p.commit));
        for (const [i, p] of batch.entries()) p.resolve(results[i]!);
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
    }
  }
}
