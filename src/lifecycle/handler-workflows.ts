import { InvalidArgumentError } from "../errors.js";
import type { Workflow } from "../workflow/define-workflow.js";
import {
  LIFECYCLE_HOOKS,
  type LifecycleEvent,
  type LifecycleHandler,
  type LifecycleHookName,
  type LifecycleHooks,
} from "./types.js";

/**
 * Lifecycle handlers given as workflows run as runs of their own, so a worker must know them by
 * name to claim those runs. Run-level ones are found at createLatch from the workflows' `hooks`.
 * Step-level ones come from step options, which the engine sees only when a step is called: those of
 * `defineStep` are noted here when the step is defined (so a process knows them before any run, and
 * after a restart), and any other is registered by the dispatcher just before it starts its run.
 */

/** Handler workflows declared by defineStep(…, { hooks }) in this process, by identity. */
const declaredByDefineStep = new Set<Workflow>();

/** A handler that is a workflow (started as its own run), not a function. */
export function isWorkflowHandler(h: LifecycleHandler): h is Workflow<[LifecycleEvent], unknown> {
  return typeof h === "object" && h !== null && typeof (h as Workflow).fn === "function";
}

/** The handlers of a `hooks` option (lifecycle hooks) that are workflows, with the lifecycle hook each was given for. */
export function handlerWorkflows(
  lifecycle: LifecycleHooks | undefined,
): { name: LifecycleHookName; workflow: Workflow }[] {
  const out: { name: LifecycleHookName; workflow: Workflow }[] = [];
  if (!lifecycle || typeof lifecycle !== "object") return out;
  for (const name of LIFECYCLE_HOOKS) {
    const given = lifecycle[name];
    for (const h of given === undefined ? [] : Array.isArray(given) ? given : [given]) {
      if (isWorkflowHandler(h)) out.push({ name, workflow: h });
    }
  }
  return out;
}

/** Notes the handler workflows of a step defined with defineStep, for every engine of this process. */
export function declareStepHandlers(lifecycle: LifecycleHooks | undefined): void {
  for (const { workflow } of handlerWorkflows(lifecycle)) declaredByDefineStep.add(workflow);
}

/** Handler workflows of the steps defined so far with defineStep. */
export function declaredStepHandlers(): Workflow[] {
  return [...declaredByDefineStep];
}

/**
 * Adds a handler workflow to the workflows a worker runs. True when it was not known yet.
 * @throws InvalidArgumentError naming `where` when another workflow already has its name: its runs
 * would run that other workflow's code.
 */
export function registerHandlerWorkflow(
  registry: Map<string, Workflow>,
  workflow: Workflow,
  where: string,
): boolean {
  const known = registry.get(workflow.name);
  if (known === workflow) return false;
  if (known) {
    throw new InvalidArgumentError(
      where,
      `is a workflow named ${JSON.stringify(workflow.name)}, but another workflow of that name is registered`,
      "Give each workflow its own name (a handler run would run the other workflow's code).",
    );
  }
  registry.set(workflow.name, workflow);
  return true;
}
