import { deliveryId } from "../ids.js";
import type { LatchEvent } from "../replay/events.js";
import type { Execution } from "../replay/execution.js";
import type { Workflow } from "../workflow/define-workflow.js";
import { type Delivery, deliveriesFor } from "./transitions.js";
import type { LifecycleEvent, LifecycleHandler, LifecycleHookName, LifecycleHooks } from "./types.js";

/** A delivery recorded with a commit; `handlers` is known in memory on the live path. */
export interface PreparedDelivery {
  id: string;
  handler: LifecycleHookName;
  event: LifecycleEvent;
  handlers?: LifecycleHandler[];
}

/** Whether a workflow declares run-level lifecycle hooks (else only steps that declare some cost anything). */
export function declaresLifecycle(workflow: Workflow): boolean {
  return workflow.hooks !== undefined && Object.keys(workflow.hooks).length > 0;
}

const NONE: readonly PreparedDelivery[] = [];

/**
 * The deliveries each event of a run being driven causes, given its log position `seq` (ids
 * `dlv_<run>_<seq>_<k>`). A run whose workflow and steps declare no lifecycle hook pays a check.
 */
export function liveDeliveries(
  workflow: Workflow,
  exec: Execution,
  now: () => number,
): (e: LatchEvent, seq: number) => readonly PreparedDelivery[] {
  const runLevel = declaresLifecycle(workflow);
  return (e, seq) =>
    runLevel || exec.hasStepLifecycle
      ? prepareDeliveries(workflow, exec, [e], now(), (k) => deliveryId(exec.runId, seq, k))
      : NONE;
}

/**
 * The deliveries `events` cause (see deliveriesFor), each with its id (`idOf(k)` for the k-th) and
 * its handlers: what a commit records and the dispatcher runs. Used live by the runtime and by the
 * dispatcher when it expands a cancel made without the workflow's code.
 */
export function prepareDeliveries(
  workflow: Workflow,
  exec: Execution,
  events: readonly LatchEvent[],
  at: number,
  idOf: (k: number) => string,
): PreparedDelivery[] {
  return deliveriesFor(workflow, exec, events, at).map((d, k) => {
    const id = idOf(k);
    // deliveriesFor made this event for this delivery alone: completed in place rather than copied.
    const event = d.event as LifecycleEvent;
    event.id = id;
    event.hook = d.handler;
    return { id, handler: d.handler, event, handlers: handlersOf(workflow, exec, d.event, d.handler) };
  });
}

/**
 * The handlers of one delivery: the workflow's for a run-level event; for a step-level one, the
 * step's (its options are code: known only from an execution of the run, else none).
 */
export function handlersOf(
  workflow: Workflow,
  exec: Execution | undefined,
  event: Delivery["event"],
  name: LifecycleHookName,
): LifecycleHandler[] {
  const declared = (event.step ? exec?.stepCall(event.step.callSeq)?.options.lifecycle : workflow.hooks) as
    | LifecycleHooks
    | undefined;
  return listOf(declared?.[name]);
}

/** A `hooks` entry as a list: one handler or several. */
export function listOf(h: LifecycleHandler | LifecycleHandler[] | undefined): LifecycleHandler[] {
  return h === undefined ? [] : Array.isArray(h) ? h : [h];
}
