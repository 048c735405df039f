/**
 * A worker process of the hook round-trip bench (`--workers N`), spawned by bench/hook-roundtrip.ts:
 * `node --import tsx bench/roundtrip-worker.ts <postgres url> [--with-hooks]`. Runs the bench's
 * workflows until told to stop, and answers the bench over IPC:
 *  - `watch {runId}` → `watching`, then `finished {runId}` when this process ends the run, so the
 *    bench times resume → completion without polling the database;
 *  - `rss` → `rss {rss}`; and it sends `batch {n}` from the iterating run's step.
 */

import { signalsFor } from "../src/client/signals.js";
import { createLatch } from "../src/index.js";
import { serveParent, toParent } from "./child-process.js";
import { BENCH_WORKER, roundtripWorkflows } from "./roundtrip-workflows.js";

const [url, ...flags] = process.argv.slice(2);
if (!url) {
  console.error("usage: roundtrip-worker.ts <postgres url> [--with-hooks]");
  process.exit(2);
}

const { workflows, interceptors } = roundtripWorkflows({
  withHooks: flags.includes("--with-hooks"),
  onBatch: (n) => toParent({ type: "batch", n }),
});
const latch = await createLatch({ workflows, store: url, worker: BENCH_WORKER, interceptors });
// The engine's own in-process signal: emitted right after the run's last commit in this process.
const signals = signalsFor(latch.store);

serveParent(
  {
    watch: ({ runId }) => {
      signals.once(`finished:${runId}`, () => toParent({ type: "finished", runId }));
      toParent({ type: "watching", runId });
    },
    unwatch: ({ runId }) => signals.removeAllListeners(`finished:${runId}`),
    rss: () => toParent({ type: "rss", rss: process.memoryUsage().rss }),
  },
  () => latch.close(),
);
toParent({ type: "ready" });
