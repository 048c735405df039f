import { Client } from "../client/client.js";
import { type ClientContext, clientContext } from "../client/client-context.js";
import { readEnvironment } from "../client/environment.js";
import type { NamedHookSchema } from "../client/hook-schemas.js";
import { type Clock, systemClock } from "../clock.js";
import { InvalidArgumentError, serializeError, UnknownWorkflowError } from "../errors.js";
import { newWorkerId } from "../ids.js";
import { composeInterceptors } from "../interceptors/compose.js";
import type { StepInterceptor } from "../interceptors/types.js";
import { DEFAULT_HANDLER_TIMEOUT_MS, LifecycleDispatcher } from "../lifecycle/dispatcher.js";
import type { HookErrorReporter, LifecycleErrorReporter } from "../lifecycle/types.js";
import { checkPlugins } from "../plugins/check.js";
import type { LatchPlugin } from "../plugins/types.js";
import { type Duration, parseDuration } from "../replay/duration.js";
import type { HookState } from "../replay/hook-state.js";
import { openStore, type StoreSpec } from "../stores/open.js";
import type { Workflow } from "../workflow/define-workflow.js";
import { consoleLogger, type Logger } from "./logger.js";
import { replayFromStore } from "./run-loader.js";
import { Worker } from "./worker.js";
import { checkWorkerOptions, resolveWorkerOptions, type WorkerOptions } from "./worker-options.js";
import { workflowRegistry } from "./workflow-registry.js";

export interface LatchOptions {
  /** The workflows this process can run (and start by name). */
  workflows: Workflow[];
  /** A Store or URL; default LATCH_DATABASE_URL, else the embedded SQLite file .latch/latch.db. */
  store?: StoreSpec;
  /** Worker tuning, or `false` for a process that only starts and resumes runs. */
  worker?: WorkerOptions | false;
  clock?: Clock;
  logger?: Logger;
  /** Code around every step (see StepInterceptor); run after the plugins' interceptors. */
  interceptors?: StepInterceptor[];
  /**
   * Bundles of interceptors. A plugin that declares triggers or flow nodes is refused
   * (NotImplementedError): they are not available yet.
   */
  plugins?: LatchPlugin[];
  /** Where failing lifecycle handlers and interceptors are reported. Default: logged. */
  onHookError?: HookErrorReporter;
  /** A lifecycle handler still running after this is reported as failed; the next one runs. Default "30s". */
  hookTimeout?: Duration;
  /**
   * Hook definitions (defineHook) whose own schema `resumeHook` checks here before recording, also
   * for hooks created before this process started or by another worker. Hooks this engine's runs
   * create are known without it.
   */
  hookDefinitions?: readonly NamedHookSchema[];
  /**
   * The base URL of the webhooks this engine's runs create (`webhook.url`). Default LATCH_PUBLIC_URL,
   * else the address of a server started on this latch (startServer), else http://127.0.0.1:8787.
   */
  publicUrl?: string;
  /** @internal used by latch/testing to answer and count hooks; a rejection fails the hook's run. */
  onHookRegistered?: (hook: HookState) => void | Promise<void>;
}

/**
 * The engine: a client plus a worker that runs this process's workflows. Start it once per process.
 *
 * @example
 * const latch = await createLatch({ workflows: [orderApproval] });
 * const run = await latch.start(orderApproval, "order-1");
 * console.log(await run.result());
 * await latch.close();
 */
export class Latch extends Client {
  readonly worker: Worker | undefined;
  /** Runs lifecycle handlers (used by the worker; `drained()` helps tests). */
  readonly dispatcher: LifecycleDispatcher;
  private readonly byName: ReadonlyMap<string, Workflow>;

  constructor(
    store: Awaited<ReturnType<typeof openStore>>,
    options: LatchOptions,
    ownsStore: boolean,
    byName: Map<string, Workflow> = workflowRegistry(options.workflows),
    context: ClientContext = clientContext(options, {}, "latch"),
  ) {
    const clock = options.clock ?? systemClock;
    super(store, clock, ownsStore, context);
    this.byName = byName;
    const logger = options.logger ?? consoleLogger;
    const report: LifecycleErrorReporter =
      options.onHookError ??
      ((err, ctx) =>
        logger.error(`${ctx.kind} ${ctx.name} failed for run ${ctx.runId}`, { error: serializeError(err) }));
    const interceptors = [
      ...(options.plugins ?? []).flatMap((p) => p.interceptors ?? []),
      ...(options.interceptors ?? []),
    ];
    const owner = newWorkerId();
    const now = () => clock.now();
    this.dispatcher = new LifecycleDispatcher({
      store,
      owner,
      now,
      warn: (message, details) => logger.warn(message, details),
      workflows: byName,
      report,
      replay: replayFromStore(store, now),
      onRunCreated: () => this.signals.ready(undefined),
      // Deliveries claimed for recovery are held as long as this worker holds its runs.
      leaseMs: resolveWorkerOptions(options.worker).leaseMs,
      handlerTimeoutMs:
        options.hookTimeout === undefined
          ? DEFAULT_HANDLER_TIMEOUT_MS
          : parseDuration(options.hookTimeout, "hookTimeout"),
    });
    this.worker =
      options.worker === false
        ? undefined
        : new Worker(
            {
              store,
              clock,
              signals: this.signals,
              logger,
              owner,
              workflows: byName,
              onHookRegistered: options.onHookRegistered,
              intercept: composeInterceptors(interceptors, report),
              dispatcher: this.dispatcher,
              services: {
                publicUrl: () => this.publicUrl.base,
                hookDefined: (name, schema) => this.hookSchemas.add(name, schema),
              },
            },
            options.worker,
          );
  }

  /** Names of the workflows this engine runs. */
  get workflowNames(): string[] {
    return [...this.byName.keys()];
  }

  protected override async checkWorkflow(name: string): Promise<void> {
    if (this.byName.has(name)) return;
    if (this.worker) throw new UnknownWorkflowError(name, [...this.byName.keys()]);
    await super.checkWorkflow(name);
  }

  /** Cancels a run; a run cancelled at once gets its lifecycle hooks delivered by this engine right away. */
  override async cancel(runId: string) {
    const info = await super.cancel(runId);
    if (info.status === "cancelled" && this.worker) void this.dispatcher.recover();
    return info;
  }

  /** Resolves when the worker has nothing to do right now (every run suspended or finished). */
  async idle(options?: { untilBlocked?: boolean }): Promise<void> {
    await this.worker?.idle(options);
    if (!options?.untilBlocked) {
      await this.dispatcher.recover();
      await this.dispatcher.drained();
      await this.worker?.idle(options);
    }
  }

  override async close(): Promise<void> {
    if (this.closed) return;
    await this.worker?.stop();
    await super.close();
  }
}

/** Opens the store, registers the workflows and starts the worker. */
export async function createLatch(options: LatchOptions): Promise<Latch> {
  if (!options || !Array.isArray(options.workflows)) {
    throw new InvalidArgumentError(
      "workflows",
      "is missing",
      "Pass createLatch({ workflows: [myWorkflow] }).",
    );
  }
  checkWorkerOptions(options.worker);
  checkPlugins(options.plugins);
  const registry = workflowRegistry(options.workflows);
  const env = readEnvironment();
  const context = clientContext(options, env, "latch");
  const ownsStore = typeof options.store !== "object";
  const store = await openStore(options.store ?? env.databaseUrl);
  let latch: Latch;
  try {
    latch = new Latch(store, options, ownsStore, registry, context);
  } catch (err) {
    // A refused option (such as a bad hookTimeout): do not leave the database open.
    if (ownsStore) await store.close().catch(() => undefined);
    throw err;
  }
  if (latch.worker) {
    await store.registerWorkflows(latch.workflowNames, (options.clock ?? systemClock).now());
    latch.worker.start();
  }
  return latch;
}
