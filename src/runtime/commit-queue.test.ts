import { expect, it } from "vitest";
import type { CommitResult, RunCommit } from "../store/records.js";
import type { Store } from "../store/store.js";
import { CommitQueue } from "./commit-queue.js";

const commitOf = (runId: string): RunCommit => ({ runId, owner: "w", expectedSeq: 1, events: [], now: 0 });

it("keeps one batch in flight; commits made meanwhile go together in the next one", async () => {
  const batches: string[][] = [];
  let release: (() => void) | undefined;
  const store = {
    async commit(batch: RunCommit[]): Promise<CommitResult[]> {
      batches.push(batch.map((c) => c.runId));
      if (batches.length === 1) await new Promise<void>((r) => (release = r));
      return batch.map(() => ({ ok: true, seq: 2, pendingInbox: 0, cancelRequested: false }));
    },
  } as unknown as Store;
  const q = new CommitQueue(store);
  const first = q.submit(commitOf("run_a"));
  await new Promise((r) => setTimeout(r, 5));
  const later = ["run_b", "run_c", "run_d"].map((id) => q.submit(commitOf(id)));
  await new Promise((r) => setTimeout(r, 5));
  expect(batches).toEqual([["run_a"]]);
  release!();
  await Promise.all([first, ...later]);
  expect(batches).toEqual([["run_a"], ["run_b", "run_c", "run_d"]]);
});
