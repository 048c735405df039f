import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { signalsFor } from "../../src/client/signals.js";
import {
  DeliveryPendingError,
  defineHook,
  defineWorkflow,
  HookDisposedError,
  PayloadValidationError,
  step,
} from "../../src/index.js";
import { createTestLatch, type TestLatch } from "../../src/testing/index.js";
import { failure } from "../support/failure.js";

let t: TestLatch | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

// A refinement the stored JSON Schema cannot express: only the workflow's own code knows it.
const signOff = defineHook(
  "sign_off",
  z.object({ reviewer: z.string().refine((s) => s.includes("@"), "must be an e-mail address") }),
);

const signed = defineWorkflow("signed", async () => {
  const first = await signOff.create({ timeout: "1d" });
  const who = await step("greet", () => `hello ${first.reviewer}`);
  return who;
});

const iterating = defineWorkflow("signed_many", async () => {
  using hook = signOff.create();
  const seen: string[] = [];
  for await (const p of hook) {
    seen.push(p.reviewer);
    if (seen.length === 2) break;
  }
  return seen;
});

async function pending(latch: TestLatch, runId: string) {
  await latch.idle();
  const [hook] = (await latch.hooks.list({ status: "pending", runId })).items;
  if (!hook) throw new Error(`run ${runId} has no pending hook`);
  return hook;
}

/** Records a payload as a process without the workflow code does: the stored JSON Schema only. */
async function sendFromOutside(latch: TestLatch, token: string, payload: unknown, by?: string) {
  const out = await latch.store.resumeHook({
    token,
    payload: JSON.stringify(payload),
    ifMissing: "error",
    now: latch.clock.now(),
    ...(by ? { by: { id: by }, channel: "cli" } : {}),
  });
  if (out.status !== "accepted") throw new Error(`not accepted: ${out.status}`);
  signalsFor(latch.store).ready(out.runId);
  return out;
}

describe("a payload that fails the hook's own schema where the run's code is", () => {
  it("is recorded as hook.rejected, never fails the run, and the hook goes on waiting", async () => {
    t = await createTestLatch({ workflows: [signed] });
    const run = await t.start(signed);
    const hook = await pending(t, run.id);
    await sendFromOutside(t, hook.token, { reviewer: "bob" }, "mallory");
    await t.idle();

    expect(await run.status()).toBe("suspended");
    expect((await t.hooks.get(hook.token))?.status).toBe("pending");
    const [rejected] = await run.events({ typePrefix: "hook.rejected" });
    expect(rejected).toMatchObject({
      type: "hook.rejected",
      hookId: hook.hookId,
      token: hook.token,
      issues: [{ path: "reviewer", message: "must be an e-mail address" }],
      by: { id: "mallory" },
      channel: "cli",
    });
    expect((rejected as { payload: unknown }).payload).toEqual({ reviewer: "bob" });
    expect(await run.events({ typePrefix: "hook.received" })).toEqual([]);

    await sendFromOutside(t, hook.token, { reviewer: "bob@example.com" });
    expect(await run.result()).toBe("hello bob@example.com");
  });

  it("is skipped on replay: a cold worker replays the rejection and delivers the next payload", async () => {
    // No warm runs: every payload is taken by a replay of the whole log.
    t = await createTestLatch({ workflows: [iterating], options: { worker: { warmCacheSize: 0 } } });
    const run = await t.start(iterating);
    const hook = await pending(t, run.id);
    await sendFromOutside(t, hook.token, { reviewer: "a@x" });
    await t.idle();
    await sendFromOutside(t, hook.token, { reviewer: "nobody" });
    await t.idle();
    await sendFromOutside(t, hook.token, { reviewer: "b@x" });
    expect(await run.result()).toEqual(["a@x", "b@x"]);
    const types = (await run.events({ typePrefix: "hook" })).map((e) => e.type);
    expect(types).toEqual([
      "hook.created",
      "hook.received",
      "hook.rejected",
      "hook.received",
      "hook.disposed",
    ]);
  });

  it("wait: delivered throws the worker's issues; nothing is lost and the next resume succeeds", async () => {
    t = await createTestLatch({ workflows: [signed] });
    const run = await t.start(signed);
    const hook = await pending(t, run.id);
    // In this process the code is known: resumeHook refuses at once, before recording.
    const early = await failure(t.resumeHook(hook.token, { reviewer: "bob" }, { wait: "delivered" }));
    expect(PayloadValidationError.is(early)).toBe(true);
    expect(early.recorded).toBe(false);

    // Sent from outside, the verdict comes from the worker.
    const out = await sendFromOutside(t, hook.token, { reviewer: "bob" });
    const waiting = waitFor(t, out.inboxId);
    const entry = await waiting;
    expect(entry).toMatchObject({ status: "rejected", issues: [{ path: "reviewer" }] });

    const ok = await t.resumeHook(hook.token, { reviewer: "ann@example.com" }, { wait: "delivered" });
    expect(ok).toMatchObject({ runId: run.id, hookId: hook.hookId, delivered: true });
    expect(await run.result()).toBe("hello ann@example.com");
  });

  it("wait: delivered gives up with a retryable DeliveryPendingError when no worker takes it", async () => {
    t = await createTestLatch({ workflows: [signed] });
    const run = await t.start(signed);
    const hook = await pending(t, run.id);
    await t.worker?.stop();
    const err = await failure(
      t.resumeHook(hook.token, { reviewer: "ann@example.com" }, { wait: "delivered", waitTimeout: 100 }),
    );
    expect(DeliveryPendingError.is(err)).toBe(true);
    expect(err.retryable).toBe(true);
    expect(err.result).toMatchObject({ runId: run.id, hookId: hook.hookId });
    // Still recorded: the payload is there for a worker.
    expect((await t.store.readInbox(run.id)).length).toBe(1);
  });

  it("wait: delivered on a run that ended without taking the payload is HookDisposedError", async () => {
    t = await createTestLatch({ workflows: [signed] });
    const run = await t.start(signed);
    const hook = await pending(t, run.id);
    await t.worker?.stop();
    const waiting = failure(
      t.resumeHook(hook.token, { reviewer: "ann@example.com" }, { wait: "delivered", waitTimeout: 10_000 }),
    );
    await new Promise((r) => setTimeout(r, 50));
    await t.cancel(run.id);
    const err = await waiting;
    expect(HookDisposedError.is(err)).toBe(true);
  });

  it("refuses a wait option it does not know, naming the field", async () => {
    t = await createTestLatch({ workflows: [signed] });
    const err = await failure(t.resumeHook("x:y", {}, { wait: "soon" as never }));
    expect(err.code).toBe("INVALID_ARGUMENT");
    expect(err.field).toBe("wait");
  });
});

async function waitFor(latch: TestLatch, inboxId: number) {
  for (let i = 0; i < 200; i++) {
    await latch.idle();
    const entry = await latch.store.getInboxEntry(inboxId);
    if (entry && entry.status !== "pending") return entry;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error("never decided");
}
