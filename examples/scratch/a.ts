import { z } from "zod";
import { createLatch, defineHook, defineWorkflow, step, sleep } from "../../src/index.js";

const approval = defineHook("manager_approval", z.object({ approved: z.boolean(), reviewer: z.string() }));
const wf = defineWorkflow("order_approval", async (orderId: string) => {
  const order = await step("prepare", () => ({ orderId, total: 42 }));
  const d = await approval.create({ timeout: "7d", onCreated: (t) => console.log("created", t) });
  await sleep(10);
  return d.approved ? step("fulfil", () => ({ ...order, status: "fulfilled", by: d.reviewer })) : { status: "cancelled" };
});
const latch = await createLatch({ workflows: [wf], store: "sqlite::memory:" });
const run = await latch.start(wf, "o-1");
await latch.idle();
const [p] = (await latch.hooks.list({ status: "pending", runId: run.id })).items;
console.log("status", await run.status(), p?.token);
await latch.resumeHook(p!.token, { approved: true, reviewer: "ann" });
console.log(await run.result());
for (const e of await run.events()) console.log(e.seq, e.type, JSON.stringify(e).slice(0, 120));
await latch.close();
