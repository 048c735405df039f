import { NotInWorkflowError } from "../errors.js";
import { currentScope, type StepInfo } from "../replay/scope.js";

/** Where the calling code runs: which run and workflow, and inside a step which step and attempt. */
export interface RunContext {
  runId: string;
  workflow: string;
  /** Set inside a step. */
  step?: StepInfo;
  /** Inside a step: aborted when the attempt times out or the run is cancelled. */
  signal?: AbortSignal;
}

/**
 * The context of the current run, from the workflow body or from a step.
 * @example const { runId } = getRunContext();
 */
export function getRunContext(): RunContext {
  const scope = currentScope();
  if (!scope) throw new NotInWorkflowError("getRunContext");
  const base = { runId: scope.execution.runId, workflow: scope.execution.workflowName };
  return scope.kind === "step" ? { ...base, step: scope.step, signal: scope.signal } : base;
}
