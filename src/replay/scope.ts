import { AsyncLocalStorage } from "node:async_hooks";
import { NotInWorkflowError } from "../errors.js";
import type { Execution } from "./execution.js";

/** What the code running now belongs to: a workflow's deterministic body, or one of its steps. */
export type Scope =
  | { kind: "workflow"; execution: Execution }
  | { kind: "step"; execution: Execution; step: StepInfo; signal: AbortSignal };

export interface StepInfo {
  name: string;
  callSeq: number;
  attempt: number;
  /** `runId:callSeq`: the same on every attempt, for exactly-once calls to external APIs. */
  idempotencyKey: string;
}

// One storage per process, not per copy of latch: a workflow file that imports another install of
// latch (or the sources under a built CLI) must still find the run the engine is executing. It is
// the only process-wide slot, and holds no settings: what a run needs from its engine (the webhook
// URL, the hook definitions it reports) travels with the execution it leads to (RunServices).
const KEY = Symbol.for("latch.scope");
const shared = globalThis as Record<symbol, AsyncLocalStorage<Scope> | undefined>;
shared[KEY] ??= new AsyncLocalStorage<Scope>();
const storage: AsyncLocalStorage<Scope> = shared[KEY];

export function runInScope<T>(scope: Scope, fn: () => T): T {
  return storage.run(scope, fn);
}

export function currentScope(): Scope | undefined {
  return storage.getStore();
}

/** The execution of the workflow body calling a durable function; refuses calls from elsewhere. */
export function workflowExecution(what: string): Execution {
  const scope = storage.getStore();
  if (scope?.kind !== "workflow") throw new NotInWorkflowError(what);
  return scope.execution;
}
