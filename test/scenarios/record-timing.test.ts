/**
 * When events become durable, as a step sees it from inside (reading its own run's log): a step's
 * start may wait up to `recordDelayMs` to go with its result (one commit for a fast step), but
 * whatever a step could depend on — an earlier step's result, a recorded uuid()/now()/random(), a
 * hook's registration — is durable before it runs. `recordDelayMs: 0` records every start first.
 */
import { afterEach, expect, it } from "vitest";
import { createHook, defineWorkflow, type RunEvent, step, uuid } from "../../src/index.js";
import { createTestLatch, type TestLatch } from "../../src/testing/index.js";

let t: TestLatch | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const types = (events: RunEvent[]) =>
  events.map((e) => (e.type.startsWith("step.") ? `${e.type}:${(e as { name: string }).name}` : e.type));

/** A workflow whose steps report the log as they see it when they start (and, for "slow", later). */
function observed(seen: Record<string, string[]>) {
  const look = async (runId: string, as: string) => {
    seen[as] = types(await t!.events(runId));
  };
  return defineWorkflow("observed", async () => {
    await step("first", async ({ runId }) => look(runId, "first"));
    const id = uuid();
    await step("second", async ({ runId }) => look(runId, "second"));
    const hook = createHook<string>({ name: "observed" });
    await step("hands-out-token", async ({ runId }) => look(runId, "hands-out-token"));
    await step("slow", async ({ runId }) => {
      await pause(60);
      await look(runId, "slow");
    });
    return [id, await hook];
  });
}

it("a fast step's start goes with its result; what a step can depend on is durable before it runs", async () => {
  const seen: Record<string, string[]> = {};
  const wf = observed(seen);
  t = await createTestLatch({ workflows: [wf] });
  const run = await t.start(wf);
  await t.idle();
  // Its own start is not recorded yet when the first step runs: it goes with the result.
  expect(seen.first).toEqual(["run.created"]);
  // The first step's result and the uuid it could use are (its own start rides along).
  expect(seen.second).toEqual([
    "run.created",
    "run.started",
    "step.started:first",
    "step.completed:first",
    "value.recorded",
    "step.started:second",
  ]);
  // A hook is live before any step that could hand its token out.
  expect(seen["hands-out-token"]).toContain("hook.created");
  // A step still running after recordDelayMs has its start recorded.
  expect(seen.slow?.at(-1)).toBe("step.started:slow");

  const [hook] = (await t.hooks.list({ runId: run.id })).items;
  await t.resumeHook(hook!.token, "ok");
  expect((await run.result()) as unknown[]).toHaveLength(2);
  const log = types(await run.events());
  // Every start is in the log, in order, each once.
  expect(log.filter((e) => e.startsWith("step.started"))).toEqual([
    "step.started:first",
    "step.started:second",
    "step.started:hands-out-token",
    "step.started:slow",
  ]);
});

it("recordDelayMs: 0 records every step's start before the step runs", async () => {
  const seen: Record<string, string[]> = {};
  const wf = observed(seen);
  t = await createTestLatch({ workflows: [wf], options: { worker: { recordDelayMs: 0 } } });
  await t.start(wf);
  await t.idle();
  expect(seen.first).toEqual(["run.created", "run.started", "step.started:first"]);
  expect(seen.second?.at(-1)).toBe("step.started:second");
});
