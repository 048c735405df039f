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
 * hooks before run-level ones, and onExit last. Only hooks that have handlers produce deliveries,
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
  const runHooks = workflow.hooks as LifecycleHooks | undefined;
  const base = { runId: exec.runId, workflow: workflow.name, at };
  const run = (handlers: LifecycleHookName[], phase: string, extra: Partial<LifecycleEvent> = {}) => {
    for (const h of handlers)
      if (runHooks?.[h]) out.push({ handler: h, event: { ...base, scope: "run", phase, ...extra } });
  };
  const step = (
    callSeq: number,
    handlers: LifecycleHookName[],
    phase: string,
    extra: Partial<LifecycleEvent> = {},
  ) => {
    const call = exec.steps.get(callSeq);
    const hooks = call?.options.hooks as LifecycleHooks | undefined;
    if (!call || !hooks) return;
    for (const h of handlers) {
      if (hooks[h]) {
        out.push({
          handler: h,
          event: {
            ...base,
            scope: "step",
            phase,
            step: { name: call.name, callSeq, attempt: call.attempt },
            ...extra,
          },
        });
      }
    }
  };
  const waiting = () => [...exec.steps.values()].filter((s) => s.state === "backoff" && s.options.hooks);
  const unfinished = () => [...exec.steps.values()].filter((s) => s.state !== "done" && s.options.hooks);

  for (const e of events) {
    switch (e.type) {
      case "run.started":
        run(["onStart"], "running");
        break;
      case "run.suspended":
        for (const s of waiting()) step(s.callSeq, ["onSuspend"], "suspended");
        run(["onSuspend"], "suspended");
        break;
      case "run.resumed":
        for (const s of waiting()) step(s.callSeq, ["onResume"], "running");
        run(["onResume"], "running");
        break;
      case "step.started":
        if (e.attempt === 1) step(e.callSeq, ["onStart"], "running", { attempt: 1 });
        break;
      case "step.completed":
        step(e.callSeq, ["onSuccess", "onExit"], "succeeded", {
          attempt: e.attempt,
          output: e.result === undefined ? undefined : JSON.parse(e.result),
        });
        break;
      case "step.failed": {
        const kind: LifecycleHookName =
          ENGINE_ERRORS.has(e.error.name) || e.error.message.startsWith("the worker stopped")
            ? "onError"
            : "onFailure";
        step(e.callSeq, [kind, "onExit"], "failed", { attempt: e.attempt, error: e.error });
        break;
      }
      case "run.succeeded":
        run(["onSuccess", "onExit"], "succeeded", {
          output: e.output === undefined ? undefined : JSON.parse(e.output),
        });
        break;
      case "run.failed":
        run([ENGINE_ERRORS.has(e.error.name) ? "onError" : "onFailure", "onExit"], "failed", {
          error: e.error,
        });
        break;
      case "run.cancelled":
        for (const s of unfinished()) step(s.callSeq, ["onCancel", "onExit"], "cancelled");
        run(["onCancel", "onExit"], "cancelled");
        break;
      case "run.timed_out":
        for (const s of unfinished()) step(s.callSeq, ["onCancel", "onExit"], "cancelled");
        run(["onTimeout", "onExit"], "timed_out");
        break;
      default:
        break;
    }
  }
  return out;
}
