/**
 * The Latch demo: an order waits for a manager's typed approval, then is fulfilled.
 *
 *   npm ci && npm run demo
 *
 * Starts a run on the embedded SQLite default (.latch/latch.db), shows it suspended on its hook
 * with the token, resumes it with a payload, and prints the result and the run's event log.
 */
import { pathToFileURL } from "node:url";
import { z } from "zod";
import { createLatch, defineHook, defineWorkflow, step } from "../src/index.js";

export const managerApproval = defineHook(
  "manager_approval",
  z.object({
    approved: z.boolean(),
    reviewer: z.string().min(1),
    comments: z.string().optional(),
  }),
);

export const orderApproval = defineWorkflow("order_approval", async (orderId: string) => {
  const order = await step("prepare_order", () => ({ orderId, total: 129.9, items: 3 }));
  const decision = await managerApproval.create({
    timeout: "7d",
    metadata: { orderId },
    onCreated: (token) => console.log(`  (notify) approval needed for hook ${token}`),
  });
  if (!decision.approved) return { orderId, status: "cancelled", reason: decision.comments ?? "rejected" };
  return step("fulfil_order", () => ({ ...order, status: "fulfilled", approvedBy: decision.reviewer }));
});

export async function main(store?: string): Promise<unknown> {
  const latch = await createLatch({ workflows: [orderApproval], store });
  try {
    const run = await latch.start(orderApproval, "order-1");
    console.log(`started ${run.id}`);
    await latch.idle();

    const [pending] = (await latch.hooks.list({ status: "pending", runId: run.id })).items;
    if (!pending) throw new Error("the run should be waiting on its approval hook");
    console.log(`status: ${await run.status()} on hook "${pending.name}"`);
    console.log(`token:  ${pending.token}`);
    console.log(`schema: ${JSON.stringify(pending.schema)}`);

    const payload = { approved: true, reviewer: "ann@example.com", comments: "looks good" };
    await latch.resumeHook(pending.token, payload);
    console.log(`resumed with ${JSON.stringify(payload)}`);

    const result = await run.result();
    console.log(`result: ${JSON.stringify(result)}`);
    console.log("event log:");
    for (const e of await run.events()) {
      const { seq, type, at: _at, ...rest } = e as unknown as Record<string, unknown>;
      console.log(
        `  ${String(seq).padStart(3)} ${String(type).padEnd(15)} ${JSON.stringify(rest).slice(0, 100)}`,
      );
    }
    return result;
  } finally {
    await latch.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
