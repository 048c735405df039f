import { describe, expect, it } from "vitest";
import { Execution } from "../replay/execution.js";
import { defineWorkflow } from "../workflow/define-workflow.js";
import { step } from "../workflow/step.js";
import { declaresLifecycle, handlersOf, liveDeliveries, prepareDeliveries } from "./deliveries.js";

const onStart = () => {};
const onExit = () => {};
const stepDone = () => {};
const plain = defineWorkflow("plain", async () => step("s", () => 1));
const observed = defineWorkflow(
  { name: "observed", hooks: { onStart, onExit: [onExit, onStart] } },
  async () => step("s", () => 1, { hooks: { onSuccess: stepDone } }),
);
const host = { now: () => 0, newHookId: () => "h", random: () => 0, randomUUID: () => "u" };

async function live(workflow: typeof plain) {
  const exec = new Execution("run_ABC", workflow.name, host);
  await exec.begin(workflow.fn, [], []);
  return exec;
}

describe("lifecycle deliveries", () => {
  it("costs nothing for a run whose workflow and steps declare no lifecycle hook", async () => {
    expect(declaresLifecycle(plain)).toBe(false);
    const of = liveDeliveries(plain, await live(plain), () => 1);
    expect(of({ type: "run.started" }, 2)).toEqual([]);
  });

  it("gives each delivery its id from the event's log position and rank, and its handlers", async () => {
    const exec = await live(observed);
    const of = liveDeliveries(observed, exec, () => 7);
    const ended = of({ type: "run.succeeded", output: "1" }, 9);
    expect(ended.map((d) => [d.id, d.handler, d.handlers?.length])).toEqual([["dlv_ABC_9_0", "onExit", 2]]);
    expect(ended[0]!.event).toMatchObject({
      id: "dlv_ABC_9_0",
      hook: "onExit",
      phase: "succeeded",
      output: 1,
      at: 7,
    });
    const step = of({ type: "step.completed", callSeq: 1, name: "s", attempt: 1, result: "1" }, 4);
    expect(step.map((d) => [d.id, d.handler, d.handlers])).toEqual([
      ["dlv_ABC_4_0", "onSuccess", [stepDone]],
    ]);
  });

  it("expands a cancel with the ids the caller gives, and finds a step's handlers only with its execution", async () => {
    const exec = await live(observed);
    const out = prepareDeliveries(observed, exec, [{ type: "run.cancelled" }], 3, (k) => `row_${k}`);
    // The step's onCancel is not declared; the run has no onCancel: only onExit is delivered.
    expect(out.map((d) => [d.id, d.handler, d.event.id])).toEqual([["row_0", "onExit", "row_0"]]);
    const stepEvent = {
      scope: "step" as const,
      runId: "r",
      workflow: "observed",
      phase: "x",
      at: 1,
      step: { name: "s", callSeq: 1, attempt: 1 },
    };
    expect(handlersOf(observed, exec, stepEvent, "onSuccess")).toEqual([stepDone]);
    expect(handlersOf(observed, undefined, stepEvent, "onSuccess")).toEqual([]);
    expect(
      handlersOf(observed, undefined, { ...stepEvent, step: undefined, scope: "run" }, "onStart"),
    ).toEqual([onStart]);
  });
});
