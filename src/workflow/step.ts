import { InvalidArgumentError } from "../errors.js";
import { declareStepHandlers } from "../lifecycle/handler-workflows.js";
import type { LifecycleHooks } from "../lifecycle/types.js";
import type { StepCallOptions, StepContext } from "../replay/calls.js";
import { type Duration, parseDuration } from "../replay/duration.js";
import { workflowExecution } from "../replay/scope.js";

export type { StepContext };

export interface StepOptions {
  /** Retries after the first attempt fails (default 3). 0: one attempt only. */
  retries?: number;
  /**
   * Wait between attempts: a fixed duration, or exponential back-off
   * `{ initial = "1s", factor = 2, max = "10m" }` (attempt n waits initial × factor^(n-1), at most max).
   */
  backoff?: Duration | { initial?: Duration; factor?: number; max?: Duration };
  /** Fails the attempt (retryably) when it runs longer; the step's `signal` is aborted. */
  timeout?: Duration;
  /** Lifecycle hooks of this step (see docs/lifecycle-hooks.md). */
  hooks?: LifecycleHooks;
}

const DEFAULT_BACKOFF = { initialMs: 1_000, factor: 2, maxMs: 600_000 };

function resolveOptions(name: string, opts: StepOptions | undefined): StepCallOptions {
  if (typeof name !== "string" || name.length === 0 || name.length > 200) {
    throw new InvalidArgumentError(
      "name",
      `${JSON.stringify(name)} is not a step name`,
      "Give the step a name of 1 to 200 characters.",
    );
  }
  const retries = opts?.retries ?? 3;
  if (!Number.isInteger(retries) || retries < 0) {
    throw new InvalidArgumentError("retries", `${retries} is not a count`, "Use a whole number ≥ 0.");
  }
  let backoff = DEFAULT_BACKOFF;
  const b = opts?.backoff;
  if (typeof b === "number" || typeof b === "string") {
    const ms = parseDuration(b, "backoff");
    backoff = { initialMs: ms, factor: 1, maxMs: ms };
  } else if (b) {
    backoff = {
      initialMs:
        b.initial === undefined ? DEFAULT_BACKOFF.initialMs : parseDuration(b.initial, "backoff.initial"),
      factor: b.factor ?? DEFAULT_BACKOFF.factor,
      maxMs: b.max === undefined ? DEFAULT_BACKOFF.maxMs : parseDuration(b.max, "backoff.max"),
    };
    if (!(backoff.factor >= 1)) {
      throw new InvalidArgumentError(
        "backoff.factor",
        `${b.factor} is below 1`,
        "Use a factor ≥ 1 (1 keeps the wait fixed).",
      );
    }
  }
  return {
    retries,
    backoff,
    timeoutMs: opts?.timeout === undefined ? undefined : parseDuration(opts.timeout, "timeout"),
    lifecycle: opts?.hooks,
  };
}

/**
 * Runs `fn` once as a durable step: its result is recorded, and on replay the recorded result is
 * returned without running it again. A failing step is retried (see StepOptions); throw FatalError
 * to fail at once, RetryableError({ retryAfter }) to choose the wait.
 *
 * @example
 * const user = await step("load_user", () => db.users.find(id), { retries: 5, timeout: "10s" });
 */
export function step<T>(
  name: string,
  fn: (ctx: StepContext) => T | Promise<T>,
  options?: StepOptions,
): Promise<Awaited<T>> {
  const execution = workflowExecution("step");
  return execution.callStep(name, fn, resolveOptions(name, options)) as Promise<Awaited<T>>;
}

/**
 * A named, reusable step with fixed options.
 * @example
 * const charge = defineStep("charge", async (orderId: string) => payments.charge(orderId), { retries: 5 });
 * await charge("order-1"); // inside a workflow
 */
export function defineStep<Args extends unknown[], T>(
  name: string,
  fn: (...args: Args) => T | Promise<T>,
  options?: StepOptions,
): (...args: Args) => Promise<Awaited<T>> {
  const resolved = resolveOptions(name, options);
  // Known now, not only when a run calls the step: engines of this process can claim their runs.
  declareStepHandlers(options?.hooks);
  return (...args: Args) => {
    const execution = workflowExecution(name);
    return execution.callStep(name, () => fn(...args), resolved, args) as Promise<Awaited<T>>;
  };
}
