import { type Clock, systemClock } from "../clock.js";
import {
  ClosedError,
  deserializeError,
  HookDisposedError,
  HookExpiredError,
  HookNotFoundError,
  IdempotencyConflictError,
  InvalidArgumentError,
  quoteInput,
  RunCancelledError,
  RunFailedError,
  RunNotFoundError,
  RunTimedOutError,
  type SerializedError,
  UnknownWorkflowError,
} from "../errors.js";
import { newRunId } from "../ids.js";
import { type Duration, parseDuration } from "../replay/duration.js";
import type { Actor } from "../replay/events.js";
import { decodeEvent, type RunEvent } from "../replay/run-event.js";
import { checkToken, isDefaultToken } from "../replay/token.js";
import { decodeValue, encodeValue } from "../replay/values.js";
import { validateAgainstJsonSchema } from "../schema/json-validate.js";
import { parseWithSchema } from "../schema/standard.js";
import {
  type EventFilter,
  type HookCountFilter,
  type HookCounts,
  type HookFilter,
  type HookRecord,
  isTerminal,
  type Page,
  type ResumeOutcome,
  type RunCountFilter,
  type RunCounts,
  type RunFilter,
  type RunRecord,
  type RunStatus,
} from "../store/records.js";
import type { Store } from "../store/store.js";
import { openStore, type StoreSpec } from "../stores/open.js";
import type { Workflow } from "../workflow/define-workflow.js";
import { actorOf } from "./actor.js";
import { DEFAULT_DELIVERY_WAIT_MS, waitForDelivery } from "./delivery.js";
import { readEnvironment } from "./environment.js";
import { HookSchemas, type NamedHookSchema } from "./hook-schemas.js";
import { PublicUrl } from "./public-url.js";
import { type Signals, signalsFor } from "./signals.js";

/** A run as clients see it: values decoded from JSON. Times are ms since the epoch. */
export interface RunInfo {
  id: string;
  workflow: string;
  version?: string;
  status: RunStatus;
  input: unknown[];
  output?: unknown;
  error?: SerializedError;
  createdAt: number;
  updatedAt: number;
  finishedAt?: number;
  /** When the run next wakes by itself (a sleep or a hook timeout), if it waits on one. */
  wakeAt?: number;
  /** A cancel was asked for and the worker holding the run has not stopped it yet. */
  cancelRequested: boolean;
}

export type HookInfo = HookRecord;

/** Which events `eventsPage` reads: `EventFilter` plus the cursor of the previous page. */
export interface EventPageFilter extends EventFilter {
  /** `nextCursor` of the previous page: continue after it (the same as `afterSeq`). */
  cursor?: string;
}

/**
 * A page of a run's log, oldest first — the one shape of `GET /api/runs/{id}/events` and
 * `latch runs logs --json`. `nextCursor` (and `nextAfterSeq`, the same position as a number) is set
 * when more events follow.
 */
export interface EventPage extends Page<RunEvent> {
  nextAfterSeq?: number;
}

export interface ResumeOptions {
  /**
   * A repeat with the same key (for this token) and the same payload records nothing and returns
   * the first answer; the same key with another payload throws IdempotencyConflictError.
   */
  idempotencyKey?: string;
  /**
   * "keep" (custom tokens only): if no hook has the token yet, keep the payload and deliver it,
   * first and once, to the next hook created with it. Default "error": HookNotFoundError.
   */
  ifMissing?: "error" | "keep";
  /**
   * "recorded" (default): return once the payload is validated here and recorded. "delivered":
   * also wait for the run's worker to take it, so that the hook's own schema has checked it where
   * the workflow code is; throws PayloadValidationError (`recorded: true`) if it turned it down,
   * DeliveryPendingError if no worker took it within `waitTimeout`.
   */
  wait?: "recorded" | "delivered";
  /** With `wait: "delivered"`: how long to wait (default 30 s). A duration or milliseconds. */
  waitTimeout?: Duration;
  /** Who sends the payload: recorded with it (`by` on hook.received / hook.rejected). */
  by?: Actor | string;
  /** Where it came from, e.g. "api", "cli", "dashboard" (recorded with it). */
  channel?: string;
}

export interface ResumeResult {
  /** The run and hook the payload went to; undefined when it was kept for a future hook. */
  runId?: string;
  hookId?: string;
  /** True when no hook had the token and the payload was kept (`ifMissing: "keep"`). */
  kept: boolean;
  /** True when this was a repeat of an earlier call with the same idempotency key. */
  repeated: boolean;
  /** With `wait: "delivered"`: true, the run's worker took it (else the call threw). */
  delivered?: boolean;
}

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

/** What a client knows beyond its store, settled at the edge (createClient, createLatch). */
export interface ClientContext {
  hookSchemas?: HookSchemas;
  publicUrl?: PublicUrl;
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
    context: ClientContext = {},
  ) {
    this.signals = signalsFor(store);
    this.hookSchemas = context.hookSchemas ?? new HookSchemas();
    this.publicUrl = context.publicUrl ?? new PublicUrl();
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
    const { cursor, limit, ...rest } = filter;
    let afterSeq = rest.afterSeq;
    if (cursor !== undefined && cursor !== "") {
      if (!/^\d{1,15}$/.test(cursor)) {
        throw new InvalidArgumentError(
          "cursor",
          `${JSON.stringify(cursor.slice(0, 40))} is not a cursor of this log`,
          "Pass the nextCursor of the previous page as it was given.",
        );
      }
      afterSeq = Math.max(afterSeq ?? 0, Number(cursor));
    }
    if (!(await this.store.getRun(runId))) throw new RunNotFoundError(runId);
    // One more than asked for: whether another page follows is then known, not guessed.
    const events = await this.store.readEvents(runId, {
      ...rest,
      afterSeq,
      limit: limit === undefined ? undefined : limit + 1,
    });
    const more = limit !== undefined && events.length > limit;
    const items = (more ? events.slice(0, limit) : events).map(decodeEvent);
    const last = items[items.length - 1];
    return more && last ? { items, nextCursor: String(last.seq), nextAfterSeq: last.seq } : { items };
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
    const ifMissing = options.ifMissing ?? "error";
    if (ifMissing !== "error" && ifMissing !== "keep") {
      throw new InvalidArgumentError(
        "ifMissing",
        `${quoteInput(ifMissing)} is not an option`,
        'Use "error" or "keep".',
      );
    }
    if (ifMissing === "keep" && isDefaultToken(token)) {
      throw new InvalidArgumentError(
        "ifMissing",
        '"keep" only applies to custom tokens; this is a generated <runId>:<hookId> token',
        "Drop ifMissing, or give the hook a custom token.",
      );
    }
    const key = options.idempotencyKey;
    if (key !== undefined && (typeof key !== "string" || key.length === 0 || key.length > 256)) {
      throw new InvalidArgumentError(
        "idempotencyKey",
        "must be a string of 1 to 256 characters",
        "Pass a stable id of the request, such as a message id.",
      );
    }
    const wait = options.wait ?? "recorded";
    if (wait !== "recorded" && wait !== "delivered") {
      throw new InvalidArgumentError(
        "wait",
        `${JSON.stringify(wait)} is not an option`,
        'Use "recorded" (the default) or "delivered".',
      );
    }
    const waitMs =
      options.waitTimeout === undefined
        ? DEFAULT_DELIVERY_WAIT_MS
        : parseDuration(options.waitTimeout, "waitTimeout");
    const by = actorOf(options.by, "by");
    const channel = options.channel;
    if (
      channel !== undefined &&
      (typeof channel !== "string" || channel.length === 0 || channel.length > 64)
    ) {
      throw new InvalidArgumentError("channel", "must be a string of 1 to 64 characters", 'Pass e.g. "api".');
    }
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
        idempotencyKey: key,
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
        throw new IdempotencyConflictError(token, key!);
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

type WorkflowArgs<W> = W extends Workflow<infer A, any> ? A : unknown[];
type WorkflowResult<W> = W extends Workflow<any, infer R> ? R : unknown;

/** A started run. `result()` waits for its end. */
export class RunHandle<R = unknown> {
  constructor(
    private readonly client: Client,
    readonly id: string,
  ) {}

  async status(): Promise<RunStatus> {
    const run = await this.client.getRun(this.id);
    if (!run) throw new RunNotFoundError(this.id);
    return run.status;
  }

  /** The run's return value once it ends. @throws RunFailedError (cause attached), RunCancelledError, RunTimedOutError */
  async result(): Promise<R> {
    const run = await this.client.waitForRun(this.id);
    if (run.status === "succeeded") return run.output as R;
    if (run.status === "cancelled") throw new RunCancelledError(this.id);
    if (run.status === "timed_out") throw new RunTimedOutError(this.id);
    throw new RunFailedError(
      this.id,
      run.error ? deserializeError(run.error) : new Error(`run ended as ${run.status}`),
    );
  }

  cancel(): Promise<RunInfo> {
    return this.client.cancel(this.id);
  }

  /** The run's event log, oldest first, recorded values decoded (see Client.events). */
  events(filter?: EventFilter): Promise<RunEvent[]> {
    return this.client.events(this.id, filter);
  }
}

export function toRunInfo(run: RunRecord): RunInfo {
  return {
    id: run.id,
    workflow: run.workflow,
    version: run.version,
    status: run.status,
    input: decodeValue<unknown[]>(run.input) ?? [],
    output: decodeValue(run.output),
    error: run.error,
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
    finishedAt: run.finishedAt,
    wakeAt: run.wakeAt,
    cancelRequested: run.cancelRequested,
  };
}

/**
 * Opens a client on a store (URL or Store). With no store: LATCH_DATABASE_URL, else sqlite:.latch/latch.db.
 * @throws StoreNotFoundError with `create: false` when the SQLite file does not exist;
 *   InvalidArgumentError for a `publicUrl` or `hookDefinitions` entry that is not one.
 * @example const client = await createClient({ store: "sqlite:.latch/latch.db", create: false });
 */
export async function createClient(options: ClientOptions = {}): Promise<Client> {
  const env = readEnvironment();
  // Checked before the store is opened: a refused option leaves no database behind.
  const context: ClientContext = {
    hookSchemas: new HookSchemas(options.hookDefinitions),
    // LATCH_PUBLIC_URL is only shown by a client, so a malformed one is not refused here.
    publicUrl: new PublicUrl(
      options.publicUrl ?? env.publicUrl,
      options.publicUrl === undefined ? undefined : "publicUrl",
    ),
  };
  const store = await openStore(options.store ?? env.databaseUrl, { create: options.create });
  return new Client(store, options.clock ?? systemClock, typeof options.store !== "object", context);
}
