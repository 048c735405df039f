import type { LatchEvent } from "../replay/events.js";
import type { Execution } from "../replay/execution.js";
import type { Workflow } from "../workflow/define-workflow.js";
import type { LifecycleEvent, LifecycleHookName, LifecycleHooks } from "./types.js";

/** A delivery to record in the outbox: which handler, with which event. */
export interface Delivery {
  handler: LifecycleHookName;
  event: Omit<LifecycleEvent, "id" | "hook">;
}

const ENGINE_ERRORS = new Set(["NonDeterminismError", "SerializationError"]);

/**
 * The lifecycle deliveries a commit causes, in the documented order: for each event, step-level
 * lifecycle hooks before run-level ones, and onExit last. Only those with handlers produce deliveries,
 * so a workflow without lifecycle hooks pays nothing. Pure.
 *
 *   run:  run.started → onStart · run.suspended → onSuspend · run.resumed → onResume ·
 *         run.succeeded → onSuccess, onExit · run.failed → onFailure (code) or onError (engine), onExit ·
 *         run.cancelled → onCancel, onExit · run.timed_out → onTimeout, onExit
 *   step: first step.started → onStart · the run suspends / resumes while the step waits out a retry
 *         back-off → onSuspend / onResume · step.completed → onSuccess, onExit ·
 *         step.failed → onFailure (its code) or onError (the engine), onExit · run ends while the
 *         step is unfinished → onCancel (cancel, timeout), onExit
 */
export function deliveriesFor(
  workflow: Workflow,
  exec: Execution,
  events: readonly LatchEvent[],
  at: number,
): Delivery[] {
  const out: Delivery[] = [];
  for (const e of events) {
    if (!RELEVANT.has(e.type)) continue;
    const base = { runId: exec.runId, workflow: workflow.name, at };
    const lifecycle = workflow.hooks as LifecycleHooks | undefined;
    switch (e.type) {
      case "run.started":
        pushRun(out, lifecycle, ["onStart"], base, "running");
        break;
      case "run.suspended":
        for (const s of exec.stepsIn("backoff"))
          pushStep(out, exec, s.callSeq, ["onSuspend"], base, "suspended");
        pushRun(out, lifecycle, ["onSuspend"], base, "suspended");
        break;
      case "run.resumed":
        for (const s of exec.stepsIn("backoff"))
          pushStep(out, exec, s.callSeq, ["onResume"], base, "running");
        pushRun(out, lifecycle, ["onResume"], base, "running");
        break;
      case "step.started":
        if (e.attempt === 1) pushStep(out, exec, e.callSeq, ["onStart"], base, "running", { attempt: 1 });
        break;
      case "step.completed":
        pushStep(out, exec, e.callSeq, ["onSuccess", "onExit"], base, "succeeded", {
          attempt: e.attempt,
          output: e.result === undefined ? undefined : JSON.parse(e.result),
        });
        break;
      case "step.failed": {
        const engine = ENGINE_ERRORS.has(e.error.name) || e.error.message.startsWith("the worker stopped");
        pushStep(out, exec, e.callSeq, [engine ? "onError" : "onFailure", "onExit"], base, "failed", {
          attempt: e.attempt,
          error: e.error,
        });
        break;
      }
      case "run.succeeded":
        pushRun(out, lifecycle, ["onSuccess", "onExit"], base, "succeeded", {
          output: e.output === undefined ? undefined : JSON.parse(e.output),
        });
        break;
      case "run.failed":
        pushRun(
          out,
          lifecycle,
          [ENGINE_ERRORS.has(e.error.name) ? "onError" : "onFailure", "onExit"],
          base,
          "failed",
          {
            error: e.error,
          },
        );
        break;
      case "run.cancelled":
      case "run.timed_out":
        for (const s of exec.stepsIn("pending", "running", "backoff"))
          pushStep(out, exec, s.callSeq, ["onCancel", "onExit"], base, "cancelled");
        if (e.type === "run.cancelled") pushRun(out, lifecycle, ["onCancel", "onExit"], base, "cancelled");
        else pushRun(out, lifecycle, ["onTimeout", "onExit"], base, "timed_out");
        break;
      default:
        break;
    }
  }
  return out;
}

/** Event types that can cause a delivery; every other event costs nothing here. */
const RELEVANT = new Set<string>([
  "run.started",
  "run.suspended",
  "run.resumed",
  "step.started",
  "step.completed",
  "step.failed",
  "run.succeeded",
  "run.failed",
  "run.cancelled",
  "run.timed_out",
]);

type Base = { runId: string; workflow: string; at: number };

function pushRun(
  out: Delivery[],
  lifecycle: LifecycleHooks | undefined,
  names: LifecycleHookName[],
  base: Base,
  phase: string,
  extra?: Partial<LifecycleEvent>,
): void {
  if (!lifecycle) return;
  for (const h of names)
    if (lifecycle[h]) out.push({ handler: h, event: eventOf(base, "run", phase, undefined, extra) });
}

function pushStep(
  out: Delivery[],
  exec: Execution,
  callSeq: number,
  names: LifecycleHookName[],
  base: Base,
  phase: string,
  extra?: Partial<LifecycleEvent>,
): void {
  const call = exec.stepCall(callSeq);
  const lifecycle = call?.options.lifecycle as LifecycleHooks | undefined;
  if (!call || !lifecycle) return;
  for (const h of names) {
    if (lifecycle[h]) {
      const step = { name: call.name, callSeq, attempt: call.attempt };
      out.push({ handler: h, event: eventOf(base, "step", phase, step, extra) });
    }
  }
}

/** One delivery's event, its fields in the order they are stored; built field by field (spreads were hot). */
function eventOf(
  base: Base,
  scope: "run" | "step",
  phase: string,
  step: LifecycleEvent["step"],
  extra: Partial<LifecycleEvent> | undefined,
): Delivery["event"] {
  const event: Delivery["event"] = { runId: base.runId, workflow: base.workflow, at: base.at, scope, phase };
  if (step) event.step = step;
  if (extra) Object.assign(event, extra);
  return event;
}
