/**
 * One worker process of bench/postgres-roundtrip.ts: `node --import tsx postgres-roundtrip-worker.ts <url>`.
 * Runs the round-trip workflow until it gets SIGTERM; prints `ready <pid>` once it runs.
 */
import { createHook, createLatch, defineWorkflow, step } from "../src/index.js";

const [url] = process.argv.slice(2);
if (!url) {
  console.error("usage: postgres-roundtrip-worker.ts <postgres url>");
  process.exit(2);
}

/** The same scenario as bench/hook-roundtrip.ts: step → wait hook → resume from outside → step. */
export const roundtrip = defineWorkflow("bench_roundtrip", async (i: number) => {
  const order = await step("prepare", () => ({ i, total: i * 2 }));
  const decision = await createHook<{ ok: boolean }>({ name: "bench_approval" });
  return step("finish", () => ({ ...order, ok: decision.ok }));
});

const latch = await createLatch({ workflows: [roundtrip], store: url });
console.log(`ready ${process.pid}`);
process.on("SIGTERM", () => {
  void latch.close().then(() => process.exit(0));
});
