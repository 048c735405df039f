import { serializeError } from "../errors.js";
import { expandedDeliveryId, handlerRunId } from "../ids.js";
import type { Execution } from "../replay/execution.js";
import { encodeValue } from "../replay/values.js";
import type { OutboxEntry } from "../store/records.js";
import type { Store } from "../store/store.js";
import type { Workflow } from "../workflow/define-workflow.js";
import { handlersOf, type PreparedDelivery, prepareDeliveries } from "./deliveries.js";
import { isWorkflowHandler, registerHandlerWorkflow } from "./handler-workflows.js";
import { OUTBOX_ROW, readOutboxRow } from "./outbox-row.js";
import type { LifecycleErrorReporter, LifecycleHandler } from "./types.js";

/** How long a lifecycle handler may run before it is reported as failed and the next one runs. */
export const DEFAULT_HANDLER_TIMEOUT_MS = 30_000;

export interface DispatcherDeps {
  store: Store;
  owner: string;
  now: () => number;
  /** Where the dispatcher reports what it cannot do (a recovery or a confirmation that failed). */
  warn: (message: string, details?: Record<string, unknown>) => void;
  /** The workflows this process runs; handler workflows met on the way are added (see handler-workflows.ts). */
  workflows: Map<string, Workflow>;
  report: LifecycleErrorReporter;
  /** Re-executes a run from its log: a recovered delivery of a step (or a cancel) needs the step's options. */
  replay: (workflow: Workflow, runId: string) => Promise<Execution>;
  /** Wakes the worker after a handler workflow's run was created. */
  onRunCreated: () => void;
  /** Lease taken on deliveries claimed for recovery: the worker's lease. */
  leaseMs: number;
  /** A handler still running after this is reported as failed and the next one runs. */
  handlerTimeoutMs: number;
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
      // Plain handlers that return no promise run without an await each (most handlers: log, count).
      for (const d of deliveries) {
        const pending = this.deliver(d);
        if (pending) await pending;
      }
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
            now: this.deps.now(),
            leaseMs: this.deps.leaseMs,
            limit: 100,
            workflows: [...this.deps.workflows.keys()],
          })
        ).filter((e) => !this.inFlight.has(e.id));
        if (entries.length === 0) break;
        // Wait only for what this pass dispatched: a hung handler elsewhere must not stop recovery.
        const mine: Promise<void>[] = [];
        for (const entry of entries)
          mine.push(this.dispatch(entry.runId, entry.id, await this.prepare(entry)));
        await Promise.race([Promise.allSettled(mine), delay(this.deps.handlerTimeoutMs)]);
      }
    } catch (err) {
      this.deps.warn("could not recover lifecycle deliveries; will retry", {
        error: serializeError(err),
      });
    } finally {
      this.recovering = false;
    }
  }

  /** Finds the deliveries of a recovered outbox row and their handlers; steps and cancels need the run replayed. */
  private async prepare(entry: OutboxEntry): Promise<PreparedDelivery[]> {
    const workflow = this.deps.workflows.get(entry.workflow)!;
    let exec: Execution | undefined;
    const replayed = async () => {
      exec ??= await this.deps.replay(workflow, entry.runId);
      return exec;
    };
    const row = readOutboxRow(entry);
    if (row.kind === OUTBOX_ROW.expandCancelled) {
      return prepareDeliveries(workflow, await replayed(), [{ type: "run.cancelled" }], row.at, (k) =>
        expandedDeliveryId(entry.id, k),
      );
    }
    const out: PreparedDelivery[] = [];
    for (const d of row.deliveries) {
      const ex = d.event.scope === "step" ? await replayed() : undefined;
      out.push({ ...d, handlers: handlersOf(workflow, ex, d.event, d.handler) });
    }
    return out;
  }

  /** Runs a delivery's handlers; a promise only if one of them is asynchronous (it is then awaited in order). */
  private deliver(d: PreparedDelivery): Promise<void> | undefined {
    const workflow = this.deps.workflows.get(d.event.workflow);
    // Step handlers are always resolved by the caller (they live in workflow code); run ones may be looked up here.
    const handlers = d.handlers ?? (workflow ? handlersOf(workflow, undefined, d.event, d.handler) : []);
    return this.runHandlers(d, handlers, 0);
  }

  private runHandlers(
    d: PreparedDelivery,
    handlers: LifecycleHandler[],
    from: number,
  ): Promise<void> | undefined {
    for (let i = from; i < handlers.length; i++) {
      const handler = handlers[i]!;
      try {
        const result = isWorkflowHandler(handler) ? this.startHandlerRun(handler, d) : handler(d.event);
        // Only a handler that returns a promise can hang: time those, and spare plain ones a timer.
        if (isThenable(result)) {
          const timed = isWorkflowHandler(handler)
            ? Promise.resolve(result)
            : withTimeout(Promise.resolve(result), this.deps.handlerTimeoutMs, d.handler);
          return timed.then(
            () => this.runHandlers(d, handlers, i + 1),
            (err) => {
              this.reportFailure(err, d);
              return this.runHandlers(d, handlers, i + 1);
            },
          );
        }
      } catch (err) {
        this.reportFailure(err, d);
      }
    }
    return undefined;
  }

  private reportFailure(err: unknown, d: PreparedDelivery): void {
    try {
      this.deps.report(err, { kind: "lifecycle", name: d.handler, runId: d.event.runId });
    } catch {
      // A reporter that throws must not stop the other handlers either.
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
        now: this.deps.now(),
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
      await this.deps.store.registerWorkflows([handler.name], this.deps.now());
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
      this.deps.warn("could not confirm lifecycle deliveries; they may be delivered again", {
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
