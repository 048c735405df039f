import type { SerializedError } from "../errors.js";
import type { Workflow } from "../workflow/define-workflow.js";

/** The lifecycle hooks a workflow or a step may declare. */
export const LIFECYCLE_HOOKS = [
  "onStart",
  "onSuccess",
  "onFailure",
  "onError",
  "onCancel",
  "onTimeout",
  "onExit",
  "onSuspend",
  "onResume",
] as const;
export type LifecycleHookName = (typeof LIFECYCLE_HOOKS)[number];

/**
 * What a lifecycle handler is given. Handlers run after the transition is committed, so the run's
 * phase and output are readable (`latch.getRun(event.runId)`). Delivery is at least once: `id` is
 * the same on every redelivery, for de-duplication.
 */
export interface LifecycleEvent {
  id: string;
  hook: LifecycleHookName;
  scope: "run" | "step";
  runId: string;
  workflow: string;
  /** Set for step-level hooks. */
  step?: { name: string; callSeq: number; attempt: number };
  /** The phase entered: a run status, or for a step: running, suspended, succeeded, failed, cancelled. */
  phase: string;
  output?: unknown;
  error?: SerializedError;
  attempt?: number;
  at: number;
}

/** A handler: a function, or a workflow (then started as its own run, with the event as its input). */
export type LifecycleHandler = ((event: LifecycleEvent) => unknown) | Workflow<[LifecycleEvent], unknown>;

export type LifecycleHooks = Partial<Record<LifecycleHookName, LifecycleHandler | LifecycleHandler[]>>;

/** Where failing lifecycle handlers and interceptors are reported; by default they are logged. */
export type LifecycleErrorReporter = (
  error: unknown,
  context: { kind: "lifecycle" | "interceptor"; name: string; runId: string },
) => void;

/** LifecycleErrorReporter under its public name, the one of `createLatch({ onHookError })`. */
export type HookErrorReporter = LifecycleErrorReporter;
