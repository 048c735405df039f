/**
 * Scaling out on PostgreSQL: workers share one database, a client starts runs and resumes their
 * hooks, and each payload goes back to the worker that suspended the run (it resumes from memory).
 *
 *   LATCH_DATABASE_URL=postgres://latch:secret@localhost:5432/latch npx tsx examples/scale-out.ts
 *
 * In production each worker is a process of its own, on as many machines as you like:
 *
 *   npx latch worker examples/scale-out.ts --db "$LATCH_DATABASE_URL"   # × N
 *   npx latch hooks list --db "$LATCH_DATABASE_URL"
 *
 * Here `main` runs two workers and a client in one process, so the whole flow reads (and is tested)
 * in one place.
 */
import { pathToFileURL } from "node:url";
import { createClient, createHook, createLatch, defineWorkflow, step } from "../src/index.js";

export const docReview = defineWorkflow("doc_review", async (docId: string) => {
  const draft = await step("draft", () => `draft of ${docId}`);
  const verdict = await createHook<{ approved: boolean; by: string }>({ name: "doc_verdict" });
  return step("publish", () => ({ docId, draft, published: verdict.approved, by: verdict.by }));
});

export async function main(url: string, count = 20) {
  // Worker options that matter on a shared database: leaseMs (how soon a dead worker's runs are
  // taken over), concurrency, and recordDelayMs (a fast step's start goes with its result).
  const workers = await Promise.all(
    [1, 2].map(() =>
      createLatch({ workflows: [docReview], store: url, worker: { leaseMs: 10_000, concurrency: 500 } }),
    ),
  );
  const client = await createClient({ store: url });
  try {
    const runs = await Promise.all(
      Array.from({ length: count }, (_, i) => client.start(docReview, `doc-${i}`)),
    );
    // Every run suspends on its hook; a reviewer (here: this loop) answers each one.
    let pending = await client.hooks.list({ status: "pending", name: "doc_verdict", limit: 1000 });
    while (pending.items.length < count) {
      await new Promise((r) => setTimeout(r, 20));
      pending = await client.hooks.list({ status: "pending", name: "doc_verdict", limit: 1000 });
    }
    console.log(`${pending.items.length} documents wait for a verdict`);
    await Promise.all(pending.items.map((h) => client.resumeHook(h.token, { approved: true, by: "ann" })));
    const results = await Promise.all(runs.map((r) => r.result()));
    console.log(`${results.length} documents published`);
    return results;
  } finally {
    await client.close();
    await Promise.all(workers.map((w) => w.close()));
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const url = process.env.LATCH_DATABASE_URL;
  if (!url?.startsWith("postgres")) {
    console.error("Set LATCH_DATABASE_URL to a postgres:// URL (see README, 'Scaling out').");
    process.exit(2);
  }
  await main(url);
}
