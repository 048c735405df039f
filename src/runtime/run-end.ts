import { type SerializedError, serializeError } from "../errors.js";
import type { LatchEvent } from "../replay/events.js";
import type { Execution } from "../replay/execution.js";
import { encodeValue } from "../replay/values.js";

/** How a run ends: its final status, with the output or the error that goes with it. */
export type RunEnd =
  | { status: "succeeded"; output?: string }
  | { status: "failed"; error: SerializedError }
  | { status: "cancelled" | "timed_out" };

/** The end of a run whose code returned or threw; a result that cannot be stored fails the run. */
export function endOfCode(outcome: NonNullable<Execution["outcome"]>): RunEnd {
  if (!outcome.ok) return { status: "failed", error: serializeError(outcome.error) };
  try {
    return { status: "succeeded", output: encodeValue(outcome.value, "workflow result") };
  } catch (err) {
    return { status: "failed", error: serializeError(err) };
  }
}

/** The events that end a run: its hooks still pending are disposed, then the run's terminal event. */
export function endEvents(exec: Execution, end: RunEnd, now: number): LatchEvent[] {
  const last: LatchEvent =
    end.status === "succeeded"
      ? { type: "run.succeeded", output: end.output }
      : end.status === "failed"
        ? { type: "run.failed", error: end.error }
        : end.status === "cancelled"
          ? { type: "run.cancelled" }
          : { type: "run.timed_out", deadline: exec.deadline ?? now };
  return [...exec.hookDisposalsAtEnd(), last];
}
