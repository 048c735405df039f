import { InvalidArgumentError, NotImplementedError } from "../errors.js";
import {
  declaredStepHandlers,
  handlerWorkflows,
  registerHandlerWorkflow,
} from "../lifecycle/handler-workflows.js";
import type { Workflow } from "../workflow/define-workflow.js";

/**
 * The workflows an engine runs, by name: those given to createLatch, checked (each a workflow, no
 * name used twice, nothing declared that Latch cannot honour yet), plus the lifecycle handler
 * workflows they name. Built before any database is opened, so a refused list leaves no trace.
 * @throws InvalidArgumentError naming `workflows[i]` or the clashing handler; NotImplementedError
 * for a workflow carrying a trigger.
 */
export function workflowRegistry(workflows: readonly Workflow[] | undefined): Map<string, Workflow> {
  const byName = new Map<string, Workflow>();
  for (const [i, w] of (workflows ?? []).entries()) {
    if (!w || typeof w.name !== "string" || typeof w.fn !== "function") {
      throw new InvalidArgumentError(
        `workflows[${i}]`,
        "is not a workflow",
        "Pass workflows made with defineWorkflow().",
      );
    }
    if ((w as { trigger?: unknown }).trigger !== undefined) {
      // defineWorkflow refuses one; this catches a workflow object made some other way.
      throw new NotImplementedError(
        `workflows[${i}].trigger`,
        `the workflow ${JSON.stringify(w.name)} declares a trigger, but triggers are not available yet in this version of Latch (it would never fire)`,
        "Remove trigger; until triggers exist, start runs from your schedule or event source with latch.start().",
      );
    }
    if (byName.has(w.name) && byName.get(w.name) !== w) {
      throw new InvalidArgumentError(
        `workflows[${i}]`,
        `repeats the name ${JSON.stringify(w.name)}`,
        "Give every workflow its own name.",
      );
    }
    byName.set(w.name, w);
  }
  // Workflows used as lifecycle handlers run here too: run-level ones of every workflow (and of
  // handlers, in turn; a clash of names is refused), and the step-level ones of defineStep steps
  // anywhere in the process (a clash is left to the dispatcher, which reports it only if this
  // engine ever starts that handler). Inline steps' handlers are registered by the dispatcher.
  const pending = [...byName.values()];
  for (let w = pending.shift(); w; w = pending.shift()) {
    for (const { name, workflow } of handlerWorkflows(w.hooks)) {
      if (registerHandlerWorkflow(byName, workflow, `workflow ${w.name} hooks.${name}`))
        pending.push(workflow);
    }
  }
  const declared = declaredStepHandlers().filter((w) => !byName.has(w.name));
  for (let w = declared.shift(); w; w = declared.shift()) {
    if (byName.has(w.name)) continue;
    byName.set(w.name, w);
    declared.push(...handlerWorkflows(w.hooks).map((h) => h.workflow));
  }
  return byName;
}
