import { afterEach, describe, expect, it } from "vitest";
import {
  createHook,
  createLatch,
  defineStep,
  defineWorkflow,
  type LifecycleEvent,
  type LifecycleHooks,
  RunTimedOutError,
  type StepInterceptor,
  sleep,
  step,
} from "../../src/index.js";
import { LIFECYCLE_HOOKS } from "../../src/lifecycle/types.js";
import { silentLogger } from "../../src/runtime/logger.js";
import { createTestLatch, type TestLatch } from "../../src/testing/index.js";
import { failure } from "../support/failure.js";

let t: TestLatch | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

/** Lifecycle hooks that record "<scope>:<hook>" for every event, in the order delivered. */
function recorder(log: string[], scope: string, events?: LifecycleEvent[]): LifecycleHooks {
  const hooks: LifecycleHooks = {};
  for (const h of LIFECYCLE_HOOKS) {
    hooks[h] = (e: LifecycleEvent) => {
      log.push(`${scope}:${h}`);
      events?.push(e);
    };
  }
  return hooks;
}

describe("lifecycle hooks", () => {
  it("fire in the documented order for a run that suspends once and a step that waits out a back-off", async () => {
    const log: string[] = [];
    const events: LifecycleEvent[] = [];
    let calls = 0;
    const wf = defineWorkflow({ name: "lc_order", hooks: recorder(log, "run", events) }, async () => {
      const out = await step(
        "flaky",
        () => {
          if (++calls === 1) throw new Error("first attempt fails");
          return "ok";
        },
        { retries: 2, backoff: "1m", hooks: recorder(log, "step", events) },
      );
      return out;
    });
    t = await createTestLatch({ workflows: [wf] });
    const run = await t.start(wf);
    await t.clock.advance("1m");
    expect(await run.result()).toBe("ok");
    await t.idle();
    expect(log).toEqual([
      "run:onStart",
      "step:onStart",
      "step:onSuspend",
      "run:onSuspend",
      "step:onResume",
      "run:onResume",
      "step:onSuccess",
      "step:onExit",
      "run:onSuccess",
      "run:onExit",
    ]);
    const success = events.find((e) => e.hook === "onSuccess" && e.scope === "run")!;
    expect(success).toMatchObject({ runId: run.id, workflow: "lc_order", phase: "succeeded", output: "ok" });
    expect(success.id).toMatch(/^dlv_/);
    const stepSuccess = events.find((e) => e.hook === "onSuccess" && e.scope === "step")!;
    expect(stepSuccess.step).toEqual({ name: "flaky", callSeq: 1, attempt: 2 });
  });

  it("handlers run after the commit: the run's final phase and output are readable", async () => {
    let seen: unknown;
    const wf = defineWorkflow(
      {
        name: "lc_readable",
        hooks: {
          onSuccess: async (e) => {
            seen = await t!.getRun(e.runId);
          },
        },
      },
      async () => 42,
    );
    t = await createTestLatch({ workflows: [wf] });
    await (await t.start(wf)).result();
    await t.idle();
    expect(seen).toMatchObject({ status: "succeeded", output: 42 });
  });

  it("cancelling a suspended run fires step and workflow onCancel, then onExit", async () => {
    const log: string[] = [];
    const wf = defineWorkflow({ name: "lc_cancel", hooks: recorder(log, "run") }, async () => {
      await step(
        "retrying",
        () => {
          throw new Error("down");
        },
        { retries: 5, backoff: "1h", hooks: recorder(log, "step") },
      );
    });
    t = await createTestLatch({ workflows: [wf] });
    const run = await t.start(wf);
    await t.idle();
    log.length = 0;
    await run.cancel();
    await t.idle();
    expect(log).toEqual(["step:onCancel", "step:onExit", "run:onCancel", "run:onExit"]);
  });

  it("a failing handler is reported to onHookError, does not block the others, and never changes the phase", async () => {
    const reported: string[] = [];
    const ran: string[] = [];
    const wf = defineWorkflow(
      {
        name: "lc_isolated",
        hooks: {
          onSuccess: [
            () => {
              throw new Error("handler broke");
            },
            () => void ran.push("second"),
          ],
          onExit: () => void ran.push("exit"),
        },
      },
      async () => "fine",
    );
    t = await createTestLatch({
      workflows: [wf],
      options: {
        onHookError: (err, ctx) => void reported.push(`${ctx.kind}:${ctx.name}:${(err as Error).message}`),
      },
    });
    const run = await t.start(wf);
    expect(await run.result()).toBe("fine");
    await t.idle();
    expect(reported).toEqual(["lifecycle:onSuccess:handler broke"]);
    expect(ran).toEqual(["second", "exit"]);
    expect(await run.status()).toBe("succeeded");
  });

  it("onFailure for the workflow's own failure; a workflow handler runs as its own run", async () => {
    const notify = defineWorkflow(
      "lc_notify",
      async (e: LifecycleEvent) => `${e.hook} ${e.phase} ${e.error?.message}`,
    );
    const wf = defineWorkflow({ name: "lc_fails", hooks: { onFailure: notify } }, async () => {
      throw new Error("bad order");
    });
    t = await createTestLatch({ workflows: [wf] });
    const run = await t.start(wf);
    await failure(run.result());
    await t.idle();
    const handlerRuns = (await t.runs.list({ workflow: "lc_notify" })).items;
    expect(handlerRuns).toHaveLength(1);
    expect(handlerRuns[0]).toMatchObject({ status: "succeeded", output: "onFailure failed bad order" });
    expect((handlerRuns[0]!.input[0] as LifecycleEvent).runId).toBe(run.id);
  });

  it("a workflow timeout ends the run as timed_out with onTimeout and onExit", async () => {
    const log: string[] = [];
    const wf = defineWorkflow(
      { name: "lc_timeout", timeout: "1h", hooks: recorder(log, "run") },
      async () => {
        await createHook({ name: "never" });
      },
    );
    t = await createTestLatch({ workflows: [wf] });
    const run = await t.start(wf);
    await t.clock.advance("59m");
    expect(await run.status()).toBe("suspended");
    await t.clock.advance("1m");
    expect(RunTimedOutError.is(await failure(run.result()))).toBe(true);
    expect(await run.status()).toBe("timed_out");
    await t.idle();
    expect(log.slice(-2)).toEqual(["run:onTimeout", "run:onExit"]);
    expect((await t.hooks.list({ runId: run.id })).items[0]?.status).toBe("disposed");
  });
});

describe("a workflow timeout that lands while the run is suspended", () => {
  /** Waits on a hook while a step waits out a back-off: both have onResume handlers that must not fire. */
  function suspendedUntilTimeout(name: string, timeout: string, log: string[]) {
    return defineWorkflow({ name, timeout, hooks: recorder(log, "run") }, async () => {
      const hook = createHook<string>({ name: `${name}_hook` });
      const retried = step(
        "down",
        () => {
          throw new Error("still down");
        },
        { retries: 3, backoff: "2h", hooks: recorder(log, "step") },
      );
      return Promise.all([hook, retried]);
    });
  }
  const runEvents = async (events: Promise<{ type: string }[]>) =>
    (await events).map((e) => e.type).filter((type) => type.startsWith("run."));

  it("goes straight from suspended to timed_out, as a cancel does: no onResume (virtual clock)", async () => {
    const log: string[] = [];
    const wf = suspendedUntilTimeout("lc_timeout_suspended", "1h", log);
    t = await createTestLatch({ workflows: [wf] });
    const run = await t.start(wf);
    await t.idle();
    expect(await run.status()).toBe("suspended");
    await t.clock.advance("1h");
    expect(RunTimedOutError.is(await failure(run.result()))).toBe(true);
    await t.idle();
    expect(await runEvents(run.events())).toEqual([
      "run.created",
      "run.started",
      "run.suspended",
      "run.timed_out",
    ]);
    expect(log).toEqual([
      "run:onStart",
      "step:onStart",
      "step:onSuspend",
      "run:onSuspend",
      "step:onCancel",
      "step:onExit",
      "run:onTimeout",
      "run:onExit",
    ]);
    expect((await t.hooks.list({ runId: run.id })).items[0]?.status).toBe("disposed");
  });

  it("goes straight from suspended to timed_out with a real worker and clock", async () => {
    const log: string[] = [];
    const wf = suspendedUntilTimeout("lc_timeout_suspended_real", "300ms", log);
    const latch = await createLatch({ workflows: [wf], store: "sqlite::memory:", logger: silentLogger });
    try {
      const run = await latch.start(wf);
      expect(RunTimedOutError.is(await failure(run.result()))).toBe(true);
      await latch.idle();
      expect(await runEvents(run.events())).toEqual([
        "run.created",
        "run.started",
        "run.suspended",
        "run.timed_out",
      ]);
      expect(log).not.toContain("run:onResume");
      expect(log).not.toContain("step:onResume");
      expect(log.slice(-4)).toEqual(["step:onCancel", "step:onExit", "run:onTimeout", "run:onExit"]);
    } finally {
      await latch.close();
    }
  });
});

describe("interceptors", () => {
  it("beforeStep can skip a step with a recorded result; afterStep sees failures and may replace them", async () => {
    const ran: string[] = [];
    const seen: string[] = [];
    const cache: StepInterceptor = {
      name: "cache",
      beforeStep: (ctx, input) =>
        ctx.step === "price" && (input as number[])[0] === 7
          ? { status: "succeeded", output: 700 }
          : undefined,
    };
    const rescue: StepInterceptor = {
      name: "rescue",
      afterStep: (ctx, r) => {
        seen.push(`${ctx.step}:${r.status}`);
        return r.status === "failed" && ctx.step === "shaky"
          ? { status: "succeeded", output: "rescued" }
          : undefined;
      },
    };
    const price = defineStep("price", (n: number) => {
      ran.push(`price(${n})`);
      return n * 10;
    });
    const wf = defineWorkflow("ic_wf", async () => {
      const a = await price(7);
      const b = await price(8);
      const c = await step("shaky", () => {
        throw new Error("nope");
      });
      await sleep("1m");
      return [a, b, c];
    });
    t = await createTestLatch({
      workflows: [wf],
      options: { interceptors: [rescue, cache], worker: { warmCacheSize: 0 } },
    });
    const run = await t.start(wf);
    await t.clock.advance("1m");
    expect(await run.result()).toEqual([700, 80, "rescued"]);
    expect(ran).toEqual(["price(8)"]);
    expect(seen).toEqual(["price:succeeded", "price:succeeded", "shaky:failed"]);
    const completed = (await run.events()).filter((e) => e.type === "step.completed") as {
      skipped?: boolean;
    }[];
    expect(completed.map((e) => e.skipped ?? false)).toEqual([true, false, false]);
  });

  it("each interceptor has its own ctx.state, shared by its before and after only", async () => {
    const seen: string[] = [];
    const tagger = (tag: string): StepInterceptor => ({
      beforeStep: (ctx) => {
        ctx.state.tag = tag;
      },
      afterStep: (ctx) => void seen.push(`${tag}:${String(ctx.state.tag)}`),
    });
    const wf = defineWorkflow("ic_state", async () => step("s", () => 1));
    t = await createTestLatch({
      workflows: [wf],
      options: { interceptors: [tagger("outer"), tagger("inner")] },
    });
    await (await t.start(wf)).result();
    expect(seen).toEqual(["inner:inner", "outer:outer"]);
  });

  it("an interceptor that throws is reported and never fails the step", async () => {
    const reported: string[] = [];
    const boom: StepInterceptor = {
      name: "boom",
      beforeStep: () => {
        throw new Error("before broke");
      },
      afterStep: () => {
        throw new Error("after broke");
      },
    };
    const wf = defineWorkflow("ic_boom", async () => step("s", () => "value"));
    t = await createTestLatch({
      workflows: [wf],
      options: {
        plugins: [{ name: "p", interceptors: [boom] }],
        onHookError: (e, c) => void reported.push(`${c.name}:${(e as Error).message}`),
      },
    });
    expect(await (await t.start(wf)).result()).toBe("value");
    expect(reported).toEqual(["boom:before broke", "boom:after broke"]);
  });
});
