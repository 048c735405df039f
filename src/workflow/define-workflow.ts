import { InvalidArgumentError, NotImplementedError } from "../errors.js";
import type { LifecycleHooks } from "../lifecycle/types.js";
import { type Duration, parseDuration } from "../replay/duration.js";

/** Options of a workflow beyond its name. */
export interface WorkflowOptions {
  name: string;
  /** Informational; recorded with every run started from this definition. */
  version?: string;
  /** Ends the run as `timed_out` when it has not finished this long after it started. */
  timeout?: Duration;
  /** Lifecycle hooks, fired after each phase change of the run is committed (see docs/lifecycle-hooks.md). */
  hooks?: LifecycleHooks;
  /**
   * Not available yet: triggers (runs started per event) are planned. Until then defineWorkflow
   * refuses a workflow given one (NotImplementedError) instead of never firing it.
   */
  trigger?: never;
}

/**
 * A durable workflow: a name and an async function whose durable calls (step, sleep, hooks,
 * now/random/uuid) are recorded, so the run survives restarts and resumes where it was.
 */
export interface Workflow<Args extends unknown[] = any[], Result = unknown> {
  readonly name: string;
  readonly version?: string;
  readonly timeoutMs?: number;
  readonly hooks?: LifecycleHooks;
  readonly fn: (...args: Args) => Promise<Result>;
  /** Phantom field carrying the argument and result types for `latch.start`. */
  readonly __types?: { args: Args; result: Result };
}

const NAME = /^[A-Za-z0-9_.:-]{1,128}$/;

/**
 * Defines a workflow.
 * @example
 * export const greet = defineWorkflow("greet", async (name: string) => {
 *   const text = await step("compose", () => `hello ${name}`);
 *   return text;
 * });
 */
export function defineWorkflow<Args extends unknown[], Result>(
  nameOrOptions: string | WorkflowOptions,
  fn: (...args: Args) => Promise<Result> | Result,
): Workflow<Args, Awaited<Result>> {
  const options = typeof nameOrOptions === "string" ? { name: nameOrOptions } : nameOrOptions;
  if (typeof options?.name !== "string" || !NAME.test(options.name)) {
    throw new InvalidArgumentError(
      "name",
      `${JSON.stringify(options?.name)} is not a valid workflow name`,
      "Use 1 to 128 letters, digits, '_', '-', '.' or ':'.",
    );
  }
  if ((options as { trigger?: unknown }).trigger !== undefined) {
    throw new NotImplementedError(
      "trigger",
      `the workflow ${JSON.stringify(options.name)} declares a trigger, but triggers are not available yet in this version of Latch (it would never fire)`,
      "Remove trigger; until triggers exist, start runs from your schedule or event source with latch.start().",
    );
  }
  if (typeof fn !== "function") {
    throw new InvalidArgumentError("fn", "is not a function", "Pass the workflow body as an async function.");
  }
  return Object.freeze({
    name: options.name,
    version: options.version,
    timeoutMs: options.timeout === undefined ? undefined : parseDuration(options.timeout, "timeout"),
    hooks: options.hooks,
    fn: fn as (...args: Args) => Promise<Awaited<Result>>,
  });
}
