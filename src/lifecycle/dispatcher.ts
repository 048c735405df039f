import { randomUUID } from "node:crypto";
import type { Clock } from "../clock.js";
import { serializeError } from "../errors.js";
import { handlerRunId, newHookId } from "../ids.js";
import { Execution } from "../replay/execution.js";
import { decodeValue, encodeValue } from "../replay/values.js";
import type { Logger } from "../runtime/logger.js";
import type { OutboxEntry } from "../store/records.js";
import type { Store } from "../store/store.js";
import type { Workflow } from "../workflow/define-workflow.js";
import { isWorkflowHandler, registerHandlerWorkflow } from "./handler-workflows.js";
import { deliveriesFor } from "./transitions.js";
import type {
  HookErrorReporter,
  LifecycleEvent,
  LifecycleHandler,
  LifecycleHookName,
  LifecycleHooks,
} from "./types.js";

/** A delivery recorded with a commit; `handlers` is known in memory on the live path. */
export interface PreparedDelivery {
  id: string;
  handler: LifecycleHookName;
  event: LifecycleEvent;
  handlers?: LifecycleHandler[];
}

export interface DispatcherDeps {
  store: Store;
  owner: string;
  clock: Clock;
  logger: Logger;
  /** The workflows this process runs; handler workflows met on the way are added (see handler-workflows.ts). */
  workflows: Map<string, Workflow>;
  report: HookErrorReporter;
  /** Wakes the worker after a handler workflow's run was created. */
  onRunCreated: () => void;
  /** Lease taken on deliveries claimed for recovery (default 30 s). */
  leaseMs?: number;
  /** A handler still running after this is reported as failed and the next one runs (default 30 s). */
  handlerTimeoutMs?: number;
}

/**
 * Runs lifecycle handlers after their transition is committed: in the documented order per run,
 * each isolated (a failing handler is reported, never blocks the others, never touches the run),
 * then confirms the delivery. Deliveries a crashed process left unconfirmed are claimed again
 * from the outbox when their lease ends (at least once; `event.id` is stable).
 */
export class LifecycleDispatcher {
  private readonly chains = new Map<string, Promise<void>>();
  /** Outbox rows being delivered by this process: never claimed twice by it. */
  private readonly inFlight = new Set<string>();
  private acks: string[] = [];
  private ackScheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private recovering = false;
  private stopped = false;

  constructor(private readonly deps: DispatcherDeps) {}

  start(everyMs = 5_000): void {
    void this.recover();
    this.timer = setInterval(() => void this.recover(), everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.allSettled([...this.chains.values()]);
    await this.flushAcks();
  }

  /** Resolves when every delivery handed over so far has run (tests). */
  async drained(): Promise<void> {
    while (this.chains.size) await Promise.allSettled([...this.chains.values()]);
    await this.flushAcks();
  }

  /** The live path: the commit that wrote outbox row `rowId` with these deliveries is durable. */
  dispatch(runId: string, rowId: string, deliveries: PreparedDelivery[]): Promise<void> {
    this.inFlight.add(rowId);
    const prev = this.chains.get(runId) ?? Promise.resolve();
    const next = prev.then(async () => {
      for (const d of deliveries) await this.deliver(d);
      this.ack(rowId);
    });
    this.chains.set(runId, next);
    void next.finally(() => {
      this.inFlight.delete(rowId);
      if (this.chains.get(runId) === next) this.chains.delete(runId);
    });
    return next;
  }

  /** Claims deliveries whose lease ended (a crash between commit and dispatch) and runs them. */
  async recover(): Promise<void> {
    if (this.recovering || this.stopped) return;
    this.recovering = true;
    try {
      for (;;) {
        const entries = (
          await this.deps.store.claimOutbox({
            owner: this.deps.owner,
            now: this.deps.clock.now(),
            leaseMs: this.deps.leaseMs ?? 30_000,
            limit: 100,
            workflows: [...this.deps.workflows.keys()],
          })
        ).filter((e) => !this.inFlight.has(e.id));
        if (entries.length === 0) break;
        // Wait only for what this pass dispatched: a hung handler elsewhere must not stop recovery.
        const mine: Promise<void>[] = [];
        for (const entry of entries)
          mine.push(this.dispatch(entry.runId, entry.id, await this.prepare(entry.runId, entry)));
        await Promise.race([Promise.allSettled(mine), delay(this.deps.handlerTimeoutMs ?? 30_000)]);
      }
    } catch (err) {
      this.deps.logger.warn("could not recover lifecycle deliveries; will retry", {
        error: serializeError(err),
      });
    } finally {
      this.recovering = false;
    }
  }

  /** Finds the handlers of a recovered outbox row; step hooks and cancels need the run replayed. */
  private async prepare(runId: string, entry: OutboxEntry): Promise<PreparedDelivery[]> {
    const workflow = this.deps.workflows.get(entry.workflow)!;
    let exec: Execution | undefined;
    const replayed = async () => {
      exec ??= await this.replay(workflow, runId);
      return exec;
    };
    const handlersIn = (
      ex: Execution | undefined,
      event: Omit<LifecycleEvent, "id" | "hook">,
      hook: LifecycleHookName,
    ) => {
      const hooks = (event.step ? ex?.steps.get(event.step.callSeq)?.options.hooks : workflow.hooks) as
        | LifecycleHooks
        | undefined;
      return listOf(hooks?.[hook]);
    };
    if (entry.handler === "expand:cancelled") {
      const ex = await replayed();
      const at = (JSON.parse(entry.event) as { at: number }).at;
      return deliveriesFor(workflow, ex, [{ type: "run.cancelled" }], at).map((d, i) => {
        const id = `${entry.id}_${i}`;
        return {
          id,
          handler: d.handler,
          event: { ...d.event, id, hook: d.handler },
          handlers: handlersIn(ex, d.event, d.handler),
        };
      });
    }
    const out: PreparedDelivery[] = [];
    for (const d of JSON.parse(entry.event) as {
      id: string;
      handler: LifecycleHookName;
      event: LifecycleEvent;
    }[]) {
      const ex = d.event.scope === "step" ? await replayed() : undefined;
      out.push({
        id: d.id,
        handler: d.handler,
        event: d.event,
        handlers: handlersIn(ex, d.event, d.handler),
      });
    }
    return out;
  }

  private async replay(workflow: Workflow, runId: string): Promise<Execution> {
    const [run, events] = await Promise.all([
      this.deps.store.getRun(runId),
      this.deps.store.readEvents(runId),
    ]);
    const exec = new Execution(runId, workflow.name, {
      now: () => this.deps.clock.now(),
      newHookId,
      random: Math.random,
      randomUUID,
    });
    await exec.begin(workflow.fn, decodeValue<unknown[]>(run?.input) ?? [], events);
    return exec;
  }

  private async deliver(d: PreparedDelivery): Promise<void> {
    const workflow = this.deps.workflows.get(d.event.workflow);
    // Step handlers are always resolved by the caller (they live in workflow code); run ones may be looked up here.
    const handlers =
      d.handlers ??
      (d.event.scope === "run" ? listOf((workflow?.hooks as LifecycleHooks | undefined)?.[d.handler]) : []);
    for (const handler of handlers) {
      try {
        if (isWorkflowHandler(handler)) await this.startHandlerRun(handler, d);
        else {
          const result = handler(d.event);
          // Only a handler that returns a promise can hang: time those, and spare plain ones a timer.
          if (isThenable(result))
            await withTimeout(Promise.resolve(result), this.deps.handlerTimeoutMs ?? 30_000, d.handler);
        }
      } catch (err) {
        try {
          this.deps.report(err, { kind: "lifecycle", name: d.handler, runId: d.event.runId });
        } catch {
          // A reporter that throws must not stop the other handlers either.
        }
      }
    }
  }

  /** A workflow handler runs as its own run, with an id derived from the delivery: redelivery starts nothing new. */
  private async startHandlerRun(handler: Workflow, d: PreparedDelivery): Promise<void> {
    await this.register(handler, d);
    const id = handlerRunId(d.id);
    if (await this.deps.store.getRun(id)) return;
    try {
      await this.deps.store.createRun({
        id,
        workflow: handler.name,
        version: handler.version,
        input: encodeValue([d.event], "lifecycle event"),
        now: this.deps.clock.now(),
      });
    } catch (err) {
      if (!(await this.deps.store.getRun(id))) throw err;
    }
    this.deps.onRunCreated();
  }

  /**
   * Makes sure this process's worker claims the handler's runs: a step's handler workflow is known
   * only once the step is called (its options are code), so it is registered here, before its run
   * exists. A different workflow of that name is refused (reported): it would run the wrong code.
   */
  private async register(handler: Workflow, d: PreparedDelivery): Promise<void> {
    const where = d.event.step
      ? `step ${d.event.step.name} hooks.${d.handler}`
      : `workflow ${d.event.workflow} hooks.${d.handler}`;
    if (!registerHandlerWorkflow(this.deps.workflows, handler, where)) return;
    try {
      await this.deps.store.registerWorkflows([handler.name], this.deps.clock.now());
    } catch (err) {
      this.deps.workflows.delete(handler.name); // registered again at the redelivery
      throw err;
    }
  }

  private ack(id: string): void {
    this.acks.push(id);
    if (!this.ackScheduled) {
      this.ackScheduled = true;
      setImmediate(() => void this.flushAcks());
    }
  }

  private async flushAcks(): Promise<void> {
    this.ackScheduled = false;
    const ids = this.acks;
    this.acks = [];
    if (ids.length === 0) return;
    try {
      await this.deps.store.ackOutbox(ids);
    } catch (err) {
      this.deps.logger.warn("could not confirm lifecycle deliveries; they may be delivered again", {
        error: serializeError(err),
      });
    }
  }
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof (v as { then?: unknown } | null)?.then === "function";
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

/** Stops waiting for a handler after `ms` (it keeps running; the next handler does not wait for it). */
async function withTimeout(p: Promise<unknown>, ms: number, name: string): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`lifecycle handler ${name} did not finish within ${ms} ms`)),
          ms,
        );
        timer.unref();
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export function listOf(h: LifecycleHandler | LifecycleHandler[] | undefined): LifecycleHandler[] {
  return h === undefined ? [] : Array.isArray(h) ? h : [h];
}
