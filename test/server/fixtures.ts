import { z } from "zod";
import { createHook, createWebhook, defineHook, defineWorkflow, step } from "../../src/index.js";
import { createLatch, type Latch } from "../../src/runtime/engine.js";
import { silentLogger } from "../../src/runtime/logger.js";
import { createApp, type LatchApp } from "../../src/server/index.js";

export const KEY = "lk_test_key_for_the_suite";
export const auth = { authorization: `Bearer ${KEY}` };

export const approval = defineHook(
  "srv_approval",
  z.object({ approved: z.boolean(), reviewer: z.string().min(1), level: z.enum(["low", "high"]).optional() }),
);

export const approvalFlow = defineWorkflow("srv_approval_flow", async (orderId: string) => {
  const decision = await approval.create({ timeout: "1h" });
  return { orderId, ...decision };
});

export const plainFlow = defineWorkflow("srv_plain", async () => {
  const payload = await createHook({ name: "plain" });
  return payload;
});

export const webhookAccepted = defineWorkflow("srv_webhook_accepted", async () => {
  const hook = createWebhook();
  await step("publish", () => hook.url);
  const req = await hook;
  return { method: req.method, body: req.body, query: req.query, path: req.path };
});

export const webhookStatic = defineWorkflow("srv_webhook_static", async () => {
  const hook = createWebhook({
    respondWith: { status: 200, headers: { "x-from": "latch" }, body: { ok: true } },
  });
  const req = await hook;
  return req.body;
});

export const webhookManual = defineWorkflow("srv_webhook_manual", async () => {
  const hook = createWebhook({ respondWith: "manual", responseTimeout: "5s" });
  for await (const req of hook) {
    const n = await step("count", () => req.body.length);
    await hook.respond(req, { status: 201, body: { received: n, method: req.method } });
    if (req.body === "stop") break;
  }
  return "done";
});

/** Answers nothing: the server must give up with 504. */
export const webhookSilent = defineWorkflow("srv_webhook_silent", async () => {
  const hook = createWebhook({ respondWith: "manual", responseTimeout: "200ms" });
  await hook;
  await hook;
  return "never";
});

export const workflows = [
  approvalFlow,
  plainFlow,
  webhookAccepted,
  webhookStatic,
  webhookManual,
  webhookSilent,
];

export interface Harness {
  latch: Latch;
  app: LatchApp;
  /** Starts a run and waits until it is suspended (its hook registered); returns its pending hook. */
  startAndWait(workflow: string, ...args: unknown[]): Promise<{ runId: string; token: string }>;
  close(): Promise<void>;
}

export async function harness(options: { store?: string; publicUrl?: string } = {}): Promise<Harness> {
  const latch = await createLatch({
    workflows,
    store: options.store ?? "sqlite::memory:",
    logger: silentLogger,
    publicUrl: options.publicUrl,
  });
  const app = createApp({ client: latch, apiKeys: [KEY], logger: silentLogger, metricsCacheMs: 0 });
  return {
    latch,
    app,
    async startAndWait(workflow, ...args) {
      const run = await latch.start(workflow, ...args);
      for (let i = 0; i < 500; i++) {
        await latch.idle();
        const [hook] = (await latch.hooks.list({ status: "pending", runId: run.id })).items;
        if (hook) return { runId: run.id, token: hook.token };
        await new Promise((r) => setTimeout(r, 5));
      }
      throw new Error(`run ${run.id} never created a hook`);
    },
    close: () => latch.close(),
  };
}

export async function json(res: Response): Promise<any> {
  return JSON.parse(await res.text());
}
