import { workflowExecution } from "../replay/scope.js";

/**
 * The current time in ms, recorded: a replay returns the same value. Use it instead of Date.now()
 * inside a workflow body. @example const startedAt = now();
 */
export function now(): number {
  return workflowExecution("now").callValue("now") as number;
}

/** A random number in [0, 1), recorded: a replay returns the same value. */
export function random(): number {
  return workflowExecution("random").callValue("random") as number;
}

/** A random UUID (v4), recorded: a replay returns the same value. */
export function uuid(): string {
  return workflowExecution("uuid").callValue("uuid") as string;
}
