import { InvalidArgumentError } from "../errors.js";
import { type Duration, parseDuration } from "../replay/duration.js";
import { workflowExecution } from "../replay/scope.js";

/**
 * A durable timer: the run suspends (the worker is free) and continues when the time comes, even
 * across restarts. Takes a duration ("90s", "1h30m", "7d", ms) or a Date.
 * @example await sleep("1d");
 */
export function sleep(duration: Duration | Date): Promise<void> {
  const execution = workflowExecution("sleep");
  if (duration instanceof Date) {
    const at = duration.getTime();
    if (!Number.isFinite(at))
      throw new InvalidArgumentError("duration", "is an invalid Date", "Pass a valid Date or a duration.");
    return execution.callSleep(undefined, at);
  }
  return execution.callSleep(parseDuration(duration, "duration"), undefined);
}
