import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createHook,
  createLatch,
  defineWorkflow,
  type Latch,
  NonDeterminismError,
  RunCancelledError,
  sleep,
  step,
} from "../../src/index.js";
import { silentLogger } from "../../src/runtime/logger.js";
import { createTestLatch, type TestLatch } from "../../src/testing/index.js";
import { failure } from "../support/failure.js";

let dir: string;
const open: Latch[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "latch-replay-"));
});
afterEach(async () => {
  for (const l of open.splice(0)) await l.close();
  rmSync(dir, { recursive: true, force: true });
});

async function engine(workflows: Parameters<typeof createLatch>[0]["workflows"]) {
  const l = await createLatch({ workflows, store: `sqlite:${join(dir, "latch.db")}`, logger: silentLogger });
  open.push(l);
  return l;
}

describe("durability across restarts", () => {
  it("a suspended run resumes in a new engine on the same file, without re-running completed steps", async () => {
    const counts: Record<string, number> = {};
    const make = () =>
      defineWorkflow("restart", async (n: number) => {
        const a = await step("a", () => {
          counts.a = (counts.a ?? 0) + 1;
          return n * 2;
        });
        const p = await createHook<number>({ token: "restart-tok" });
        return step("b", () => {
          counts.b = (counts.b ?? 0) + 1;
          return a + p;
        });
      });
    const first = await engine([make()]);
    const run = await first.start("restart", 21);
    await first.idle();
    await first.close();
    const second = await engine([make()]);
    await second.resumeHook("restart-tok", 100);
    expect(await second.handle(run.id).result()).toBe(142);
    expect(counts).toEqual({ a: 1, b: 1 });
  });

  it("a durable sleep survives a restart", async () => {
    const wf = defineWorkflow("nap", async () => {
      await sleep("300ms");
      return "rested";
    });
    const first = await engine([wf]);
    const run = await first.start(wf);
    await first.idle();
    await first.close();
    const t0 = Date.now();
    const second = await engine([wf]);
    expect(await second.handle(run.id).result()).toBe("rested");
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});

describe("graceful close", () => {
  it("gives running runs back at once: another engine continues them without waiting out the lease", async () => {
    const make = (block: boolean) =>
      defineWorkflow("handover", async () =>
        step("s", ({ signal }) =>
          block
            ? new Promise((resolve) => signal.addEventListener("abort", () => resolve("aborted")))
            : "done",
        ),
      );
    const first = await engine([make(true)]);
    const run = await first.start("handover");
    await first.idle({ untilBlocked: true });
    expect(await run.status()).toBe("running");
    await first.close();
    const t0 = Date.now();
    const second = await engine([make(false)]);
    expect(await second.handle(run.id).result()).toBe("done");
    expect(Date.now() - t0).toBeLessThan(5_000);
  });
});

describe("non-determinism", () => {
  it("fails the run with NonDeterminismError when the code under a live run changed", async () => {
    const v1 = defineWorkflow("drift", async () => {
      await step("one", () => 1);
      await createHook({ token: "drift-tok" });
      return step("two", () => 2);
    });
    const v2 = defineWorkflow("drift", async () => {
      await step("renamed", () => 1);
      await createHook({ token: "drift-tok" });
      return step("two", () => 2);
    });
    const first = await engine([v1]);
    const run = await first.start(v1);
    await first.idle();
    await first.close();
    const second = await engine([v2]);
    await second.resumeHook("drift-tok", null);
    const err = await failure(second.handle(run.id).result());
    expect(NonDeterminismError.is(err.cause)).toBe(true);
    expect(err.cause.message).toContain('step "renamed" in the code but step "one" in the log');
    const events = await second.events(run.id);
    expect(events.filter((e) => e.type === "step.completed")).toHaveLength(1);
  });
});

describe("cancellation", () => {
  let t: TestLatch;
  afterEach(async () => t.close());

  it("cancels a suspended run at once and disposes its hooks", async () => {
    const wf = defineWorkflow("cancel_me", async () => createHook({ token: "cancel-tok" }));
    t = await createTestLatch({ workflows: [wf] });
    const run = await t.start(wf);
    await t.idle();
    const info = await run.cancel();
    expect(info.status).toBe("cancelled");
    expect(RunCancelledError.is(await failure(run.result()))).toBe(true);
    expect((await t.hooks.get("cancel-tok"))?.status).toBe("disposed");
    const types = (await run.events()).map((e) => e.type);
    expect(types.slice(-2)).toEqual(["hook.disposed", "run.cancelled"]);
  });

  it("cancels a running run: the running step's signal aborts and no new step starts", async () => {
    const started: string[] = [];
    const wf = defineWorkflow("cancel_running", async () => {
      await step("long", ({ signal }) => {
        started.push("long");
        return new Promise((resolve) => signal.addEventListener("abort", () => resolve("aborted")));
      });
      await step("next", () => started.push("next"));
    });
    t = await createTestLatch({ workflows: [wf] });
    const run = await t.start(wf);
    await t.idle({ untilBlocked: true });
    expect(await run.status()).toBe("running");
    await run.cancel();
    expect(RunCancelledError.is(await failure(run.result()))).toBe(true);
    await t.idle();
    expect(started).toEqual(["long"]);
    expect((await run.events()).at(-1)?.type).toBe("run.cancelled");
  });
});
