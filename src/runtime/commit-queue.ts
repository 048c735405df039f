import type { CommitResult, RunCommit } from "../store/records.js";
import type { Store } from "../store/store.js";
import { GroupCommit } from "../stores/group-commit.js";

/**
 * Batches the commits runs make together into one `store.commit` call, each commit still checked on
 * its own (group commit, see stores/group-commit.ts).
 *
 * One batch is in flight at a time: commits submitted while it is out wait and go together in the
 * next one. The batch size follows the load on its own — one commit alone when the worker is quiet
 * (no added latency), hundreds per round trip when it is busy — which is what makes a networked
 * store (one transaction and one WAL flush per batch) keep up. A throw from `store.commit` fails
 * the whole batch: the store already answers each commit on its own, so a throw means the call
 * itself failed (a lost connection, a closed store) and sending the commits again alone cannot help.
 */
export class CommitQueue {
  private readonly commits: GroupCommit<RunCommit, CommitResult>;

  constructor(store: Store, maxBatch = 500) {
    // A microtask, not a turn: commits made in the same turn go together, and stores batch
    // across turns themselves (SQLite group-commits every write of a turn).
    this.commits = new GroupCommit((batch) => store.commit(batch), { maxBatch });
  }

  submit(commit: RunCommit): Promise<CommitResult> {
    return this.commits.add(commit);
  }
}
