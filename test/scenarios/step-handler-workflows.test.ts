import { afterEach, describe, expect, it } from "vitest";
import {
  createLatch,
  defineStep,
  defineWorkflow,
  InvalidArgumentError,
  type Latch,
  type LifecycleEvent,
  step,
} from "../../src/index.js";
import { silentLogger } from "../../src/runtime/logger.js";

let latch: Latch | undefined;
afterEach(async () => {
  await latch?.close();
  latch = undefined;
});

/** A lifecycle handler given as a workflow: it records which step and phase it was started for. */
function handlerWorkflow(name: string) {
  return defineWorkflow(name, async (e: LifecycleEvent) => {
    const seen = await step("note", () => `${e.hook} ${e.step?.name} ${e.phase}`);
    return seen;
  });
}

/** The one run of `workflow`, once finished; fails (rather than hangs) if it stays unfinished. */
async function finishedRunOf(l: Latch, workflow: string) {
  const until = Date.now() + 3_000;
  for (;;) {
    const [run] = (await l.runs.list({ workflow })).items;
    if (run && ["succeeded", "failed", "cancelled", "timed_out"].includes(run.status)) return run;
    if (Date.now() > until)
      throw new Error(`the run of ${workflow} did not finish (status: ${run?.status ?? "none"})`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("a step-level lifecycle handler given as a workflow", () => {
  it("runs to the end for an inline step(), though the handler is not listed in workflows", async () => {
    const onShipped = handlerWorkflow("sh_inline_handler");
    const wf = defineWorkflow("sh_inline", async () => {
      await step("ship", () => "shipped", { hooks: { onSuccess: onShipped } });
      return "done";
    });
    latch = await createLatch({ workflows: [wf], store: "sqlite::memory:", logger: silentLogger });
    expect(await (await latch.start(wf)).result()).toBe("done");
    const handlerRun = await finishedRunOf(latch, "sh_inline_handler");
    expect(handlerRun.status).toBe("succeeded");
    expect(handlerRun.output).toBe("onSuccess ship succeeded");
  });

  it("runs to the end for a defineStep() step, registered from its definition before any run", async () => {
    const onCharged = handlerWorkflow("sh_defined_handler");
    const charge = defineStep("charge", async (amount: number) => amount * 2, {
      hooks: { onExit: onCharged },
    });
    const wf = defineWorkflow("sh_defined", async () => charge(21));
    latch = await createLatch({ workflows: [wf], store: "sqlite::memory:", logger: silentLogger });
    expect(latch.workflowNames).toContain("sh_defined_handler");
    expect(await (await latch.start(wf)).result()).toBe(42);
    const handlerRun = await finishedRunOf(latch, "sh_defined_handler");
    expect(handlerRun.status).toBe("succeeded");
    expect(handlerRun.output).toBe("onExit charge succeeded");
  });

  it("reports a handler workflow whose name another registered workflow has, and starts nothing", async () => {
    const listed = defineWorkflow("sh_taken", async () => "listed");
    const impostor = defineWorkflow("sh_taken", async (_e: LifecycleEvent) => "impostor");
    const wf = defineWorkflow("sh_conflict", async () => {
      await step("s", () => 1, { hooks: { onSuccess: impostor } });
      return "done";
    });
    const reported: unknown[] = [];
    latch = await createLatch({
      workflows: [wf, listed],
      store: "sqlite::memory:",
      logger: silentLogger,
      onHookError: (err) => reported.push(err),
    });
    expect(await (await latch.start(wf)).result()).toBe("done");
    await latch.idle();
    expect(reported).toHaveLength(1);
    expect(InvalidArgumentError.is(reported[0])).toBe(true);
    expect((reported[0] as InvalidArgumentError).field).toBe("step s hooks.onSuccess");
    expect((reported[0] as Error).message).toContain('"sh_taken"');
    expect((await latch.runs.list({ workflow: "sh_taken" })).items).toEqual([]);
  });

  it("refuses at createLatch a run-level handler workflow whose name another workflow has", async () => {
    const listed = defineWorkflow("sh_run_taken", async () => "listed");
    const impostor = defineWorkflow("sh_run_taken", async (_e: LifecycleEvent) => "impostor");
    const wf = defineWorkflow({ name: "sh_run_conflict", hooks: { onExit: impostor } }, async () => "done");
    const err = await createLatch({ workflows: [wf, listed], store: "sqlite::memory:" }).catch((e) => e);
    expect(InvalidArgumentError.is(err)).toBe(true);
    expect((err as InvalidArgumentError).field).toBe("workflow sh_run_conflict hooks.onExit");
  });
});
