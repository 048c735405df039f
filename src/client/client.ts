import { type Clock, systemClock } from "../clock.js";
import {
  ClosedError,
  HookDisposedError,
  HookExpiredError,
  HookNotFoundError,
  IdempotencyConflictError,
  InvalidArgumentError,
  RunNotFoundError,
  UnknownWorkflowError,
} from "../errors.js";
import { newRunId } from "../ids.js";
import { decodeEvent, type RunEvent } from "../replay/run-event.js";
import { checkToken } from "../replay/token.js";
import { encodeValue } from "../replay/values.js";
import { validateAgainstJsonSchema } from "../schema/json-validate.js";
import { parseWithSchema } from "../schema/standard.js";
import {
  type EventFilter,
  type HookCountFilter,
  type HookCounts,
  type HookFilter,
  isTerminal,
  type Page,
  type ResumeOutcome,
  type RunCountFilter,
  type RunCounts,
  type RunFilter,
} from "../store/records.js";
import type { Store } from "../store/store.js";
import { openStore, type StoreSpec } from "../stores/open.js";
import type { Workflow } from "../workflow/define-workflow.js";
import { type ClientContext, clientContext } from "./client-context.js";
import { waitForDelivery } from "./delivery.js";
import { readEnvironment } from "./environment.js";
import { type EventPage, type EventPageFilter, eventPage, eventPageQuery } from "./event-page.js";
import type { HookSchemas, NamedHookSchema } from "./hook-schemas.js";
import type { PublicUrl } from "./public-url.js";
import { type ResumeOptions, type ResumeResult, resumeSettings } from "./resume-options.js";
import { RunHandle, type WorkflowArgs, type WorkflowResult } from "./run-handle.js";
import { type HookInfo, type RunInfo, toRunInfo } from "./run-info.js";
import { type Signals, signalsFor } from "./signals.js";

export interface ClientOptions {
  /** A Store, or a URL: "sqlite:.latch/latch.db" (default, or LATCH_DATABASE_URL), "sqlite::memory:". */
  store?: StoreSpec;
  /**
   * Hook definitions (what defineHook() returns) whose own Standard Schema `resumeHook` checks
   * here, before recording, on top of the JSON Schema stored with the hook: a payload failing a
   * refinement is refused at once (`recorded: false`) instead of turned down by the worker later.
   * @example await createClient({ hookDefinitions: [approval] })
   */
  hookDefinitions?: readonly NamedHookSchema[];
  /**
   * The base URL webhooks are reached at, for `webhookUrl()`. Default LATCH_PUBLIC_URL, else the
   * address of a server started on this client (startServer), else http://127.0.0.1:8787.
   */
  publicUrl?: string;
  /**
   * false: refuse a SQLite file that does not exist (StoreNotFoundError) instead of making an empty
   * database — for processes that only read or resume, where a mistyped path should fail loudly
   * (the CLI's read commands pass false). Default true.
   */
  create?: boolean;
  clock?: Clock;
}

/**
 * The read / start / resume / cancel surface over a store, for any process — including ones that
 * run no workflow code (the CLI, the HTTP server, another service).
 *
 * @example
 * const client = await createClient({ store: "sqlite:.latch/latch.db" });
 * await client.resumeHook(token, { approved: true, reviewer: "ann" });
 */
export class Client {
  protected readonly signals: Signals;
  protected closed = false;

  /** Listing and reading runs. */
  readonly runs = {
    list: (filter: RunFilter = {}): Promise<Page<RunInfo>> =>
      this.store.listRuns(filter).then((p) => ({ ...p, items: p.items.map(toRunInfo) })),
    get: (runId: string) => this.getRun(runId),
    events: (runId: string, filter?: EventFilter) => this.events(runId, filter),
    /**
     * How many runs have each status, in one store query (every status present, 0 where none).
     * @example const { suspended } = await latch.runs.count({ workflow: "order_approval" });
     */
    count: (filter: RunCountFilter = {}): Promise<RunCounts> => this.store.countRuns(filter),
    /** A page of the run's log, `{ items, nextCursor? }`. @throws RunNotFoundError */
    eventsPage: (runId: string, filter?: EventPageFilter) => this.eventsPage(runId, filter),
  };

  /** Listing and reading hooks. */
  readonly hooks = {
    list: (filter: HookFilter = {}): Promise<Page<HookInfo>> => this.store.listHooks(filter),
    /** The pending hook with this token, else the last one that had it; undefined if none ever did. */
    get: async (token: string): Promise<HookInfo | undefined> => {
      checkToken(token);
      return this.store.getHook(token);
    },
    /**
     * How many hooks have each status, in one store query.
     * @example const { pending } = await latch.hooks.count({ name: "manager_approval" });
     */
    count: (filter: HookCountFilter = {}): Promise<HookCounts> => this.store.countHooks(filter),
  };

  /** The hook definitions whose own schema checks payloads here (see ClientOptions.hookDefinitions). */
  protected readonly hookSchemas: HookSchemas;
  /** Where this client's webhooks are reached (see ClientOptions.publicUrl). */
  protected readonly publicUrl: PublicUrl;

  constructor(
    readonly store: Store,
    readonly clock: Clock = systemClock,
    private readonly ownsStore = false,
    context: ClientContext = clientContext({}, {}, "client"),
  ) {
    this.signals = signalsFor(store);
    this.hookSchemas = context.hookSchemas;
    this.publicUrl = context.publicUrl;
  }

  /**
   * The URL a webhook is reached at from outside, by its token: `<public URL>/webhooks/<token>`.
   * @example console.log(`curl -X POST ${client.webhookUrl(hook.token)}`)
   */
  webhookUrl(token: string): string {
    return this.publicUrl.webhookUrl(token);
  }

  /**
   * @internal startServer tells the client it serves where it is reached: that address becomes the
   * base of webhook URLs unless `publicUrl` (or LATCH_PUBLIC_URL) was given.
   */
  servedAt(url: string): void {
    this.publicUrl.servedAt(url);
  }

  /** Starts a run of the workflow (by name or definition) with these arguments; it is persisted before this returns. */
  async start<W extends Workflow>(
    workflow: W | string,
    ...args: WorkflowArgs<W>
  ): Promise<RunHandle<WorkflowResult<W>>> {
    this.assertOpen();
    const name = typeof workflow === "string" ? workflow : workflow?.name;
    if (typeof name !== "string" || name === "") {
      throw new InvalidArgumentError(
        "workflow",
        "is missing",
        "Pass a workflow defined with defineWorkflow() or its name.",
      );
    }
    await this.checkWorkflow(name);
    const run = await this.store.createRun({
      id: newRunId(),
      workflow: name,
      version: typeof workflow === "string" ? undefined : workflow.version,
      input: encodeValue(args, "input"),
      now: this.clock.now(),
    });
    this.signals.ready(run.id);
    return new RunHandle(this, run.id);
  }

  /** Refuses names no worker knows. Overridden by the engine, which knows its own workflows. */
  protected async checkWorkflow(name: string): Promise<void> {
    // Known names are cached: a name seen once stays valid; an unknown one is looked up afresh.
    if (this.knownWorkflows?.has(name)) return;
    // Calls made together share one look-up.
    this.lookingUp ??= this.store.listWorkflows().finally(() => {
      this.lookingUp = undefined;
    });
    const known = await this.lookingUp;
    this.knownWorkflows = new Set(known);
    if (known.length > 0 && !known.includes(name)) throw new UnknownWorkflowError(name, known);
  }

  private knownWorkflows: Set<string> | undefined;
  private lookingUp: Promise<string[]> | undefined;

  /** A handle on an existing run. */
  handle<R = unknown>(runId: string): RunHandle<R> {
    return new RunHandle<R>(this, runId);
  }

  async getRun(runId: string): Promise<RunInfo | undefined> {
    const run = await this.store.getRun(runId);
    return run ? toRunInfo(run) : undefined;
  }

  /**
   * The run's event log, oldest first (filter by `typePrefix: "hook"` for hook events), with recorded
   * values decoded: a `hook.received` payload is the object that was sent, never its JSON text.
   * @example const received = await latch.events(runId, { typePrefix: "hook.received" });
   */
  async events(runId: string, filter?: EventFilter): Promise<RunEvent[]> {
    return (await this.store.readEvents(runId, filter)).map(decodeEvent);
  }

  /**
   * A page of the run's log: `limit` events (all when omitted) after `cursor` / `afterSeq`, and
   * `nextCursor` when more follow. @throws RunNotFoundError, InvalidArgumentError (a bad cursor)
   * @example
   * let page = await latch.runs.eventsPage(runId, { limit: 100 });
   * while (page.nextCursor) page = await latch.runs.eventsPage(runId, { limit: 100, cursor: page.nextCursor });
   */
  async eventsPage(runId: string, filter: EventPageFilter = {}): Promise<EventPage> {
    const query = eventPageQuery(filter);
    if (!(await this.store.getRun(runId))) throw new RunNotFoundError(runId);
    return eventPage(await this.store.readEvents(runId, query.read), query.limit);
  }

  /**
   * Sends a payload to the hook with this token. The payload is validated (against the schema
   * stored with the hook, and the hook's own Standard Schema where this client knows its definition:
   * `hookDefinitions`, or in a latch a hook its runs created) and recorded before this returns:
   * nothing is lost if no worker is running.
   *
   * @throws HookNotFoundError, HookExpiredError, HookDisposedError, PayloadValidationError,
   *   IdempotencyConflictError (nothing recorded).
   * @example await latch.resumeHook(token, { approved: true, reviewer: "ann" }, { idempotencyKey: "mail-123" });
   */
  async resumeHook(token: string, payload?: unknown, options: ResumeOptions = {}): Promise<ResumeResult> {
    this.assertOpen();
    checkToken(token);
    const { ifMissing, idempotencyKey, wait, waitMs, by, channel } = resumeSettings(token, options);
    const json = encodeValue(payload, "payload");
    // One round trip when the hook has no schema; else the store answers with the hook, the
    // payload is validated against it, and sent again naming the hook it was validated against.
    const schemaNames = this.hookSchemas.names();
    let validatedHookId: string | undefined;
    let out: ResumeOutcome;
    for (;;) {
      out = await this.store.resumeHook({
        token,
        payload: json,
        idempotencyKey,
        ifMissing,
        now: this.clock.now(),
        check: { schemaNames, validatedHookId },
        ...(by ? { by } : {}),
        ...(channel ? { channel } : {}),
      });
      if (out.status !== "validate") break;
      validateAgainstJsonSchema(out.hook.schema, payload, token);
      const own = this.hookSchemas.get(out.hook.name);
      if (own) await parseWithSchema(own, payload, token);
      validatedHookId = out.hook.hookId;
    }
    switch (out.status) {
      case "accepted": {
        if (!out.repeated) this.signals.ready(out.runId);
        const result = { runId: out.runId, hookId: out.hookId, kept: false, repeated: out.repeated };
        if (wait === "recorded") return result;
        await waitForDelivery(this.store, token, out.inboxId, waitMs, () => this.closed, result);
        return { ...result, delivered: true };
      }
      case "kept": {
        if (wait === "recorded") return { kept: true, repeated: out.repeated };
        await waitForDelivery(this.store, token, out.inboxId, waitMs, () => this.closed, {
          kept: true,
          repeated: out.repeated,
        });
        const entry = await this.store.getInboxEntry(out.inboxId);
        return {
          runId: entry?.runId,
          hookId: entry?.hookId,
          kept: true,
          repeated: out.repeated,
          delivered: true,
        };
      }
      case "expired":
        throw new HookExpiredError(token, out.expiredAt);
      case "disposed":
        throw new HookDisposedError(token);
      case "idempotency_conflict":
        throw new IdempotencyConflictError(token, idempotencyKey!);
      default:
        throw new HookNotFoundError(token);
    }
  }

  /**
   * Cancels a run: a suspended or pending run at once (its hooks disposed), a running one at its
   * next durable call (no new step starts). Cancelling a finished run changes nothing.
   * @throws RunNotFoundError
   */
  async cancel(runId: string): Promise<RunInfo> {
    this.assertOpen();
    const out = await this.store.cancelRun(runId, this.clock.now());
    switch (out.status) {
      case "not_found":
        throw new RunNotFoundError(runId);
      case "cancelled":
        this.signals.finished(runId);
        return toRunInfo(out.run);
      case "requested":
        this.signals.emit("cancel", runId);
        return toRunInfo(out.run);
      default:
        return toRunInfo(out.run);
    }
  }

  /** Waits until the run is finished and returns it (whatever its end). */
  async waitForRun(runId: string, options: { pollMs?: number } = {}): Promise<RunInfo> {
    for (;;) {
      const run = await this.store.getRun(runId);
      if (!run) throw new RunNotFoundError(runId);
      if (isTerminal(run.status)) return toRunInfo(run);
      if (this.closed) throw new ClosedError("the client was closed while waiting for a run");
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.signals.off(`finished:${runId}`, done);
          resolve();
        };
        const timer = setTimeout(done, options.pollMs ?? 250);
        this.signals.on(`finished:${runId}`, done);
      });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsStore) await this.store.close();
  }

  protected assertOpen(): void {
    if (this.closed) throw new ClosedError("this Latch client is closed; create a new one");
  }
}

/**
 * Opens a client on a store (URL or Store). With no store: LATCH_DATABASE_URL, else sqlite:.latch/latch.db.
 * @throws StoreNotFoundError with `create: false` when the SQLite file does not exist;
 *   InvalidArgumentError for a `publicUrl` or `hookDefinitions` entry that is not one.
 * @example const client = await createClient({ store: "sqlite:.latch/latch.db", create: false });
 */
export async function createClient(options: ClientOptions = {}): Promise<Client> {
  const env = readEnvironment();
  // Made before the store is opened: a refused option leaves no database behind.
  const context = clientContext(options, env, "client");
  const store = await openStore(options.store ?? env.databaseUrl, { create: options.create });
  return new Client(store, options.clock ?? systemClock, typeof options.store !== "object", context);
}
