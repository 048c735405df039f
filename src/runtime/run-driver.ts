import type { Signals } from "../client/signals.js";
import type { Clock } from "../clock.js";
import { NonDeterminismError, type SerializedError, serializeError } from "../errors.js";
import { listOf, type PreparedDelivery } from "../lifecycle/dispatcher.js";
import { deliveriesFor } from "../lifecycle/transitions.js";
import type { LifecycleHooks } from "../lifecycle/types.js";
import type { EventOf, LatchEvent } from "../replay/events.js";
import { type Execution, type StepCall, settle } from "../replay/execution.js";
import type { HookState } from "../replay/hook-state.js";
import { encodeValue } from "../replay/values.js";
import type { CommitResult, HookRegistration, InboxRecord, RunCommit, RunStatus } from "../store/records.js";
import type { Store } from "../store/store.js";
import type { Workflow } from "../workflow/define-workflow.js";
import type { CommitQueue } from "./commit-queue.js";
import type { Logger } from "./logger.js";
import { type Intercept, runStepAttempt } from "./step-runner.js";

export interface DriverDeps {
  store: Store;
  commits: CommitQueue;
  clock: Clock;
  owner: string;
  logger: Logger;
  signals: Signals;
  /**
   * Called once per hook, after its registration is committed (testing: mocks, counters). Awaited
   * like `onCreated`; if it throws, the run fails with that error (a bad mock is a bug in the test).
   */
  onHookRegistered?: (hook: HookState) => void | Promise<void>;
  /** Called when the driver blocks waiting on running steps or timers. */
  onBlocked?: () => void;
  /** The workflow being driven (its lifecycle hooks). */
  workflow: Workflow;
  /** The worker's lease: also how long it holds the lifecycle deliveries it commits. */
  leaseMs: number;
  /** Whether the workflow declares any lifecycle hook (else only steps with hooks cost anything). */
  hasLifecycleHooks: boolean;
  /** Interceptors around each step attempt. */
  intercept: Intercept;
  /** Runs lifecycle handlers for deliveries once their commit is durable. */
  dispatch: (deliveries: PreparedDelivery[]) => void;
  /**
   * How long events that nothing waits on (a step's start, a result while other steps run) may
   * wait to go with the next commit (0: every step's start is durable before the step runs).
   */
  recordDelayMs: number;
}

/**
 * Events that may wait for a later commit while steps run. Not held: a step's outcome (the next step
 * starts only once it is durable, so a recorded step never re-runs because a later one crashed),
 * a hook's registration (a step may hand its token out), a recorded now/random/uuid (a step may
 * use it; after a crash the code would draw another).
 */
const HOLDABLE: ReadonlySet<LatchEvent["type"]> = new Set([
  "run.started",
  "run.resumed",
  "step.started",
  "sleep.started",
  "sleep.completed",
  "hook.received",
  "hook.rejected",
]);

export type DriverEnd =
  /**
   * Released. `wakeAt`: its next timer, if any. `ready`: payloads or a cancel came in while it
   * suspended, so it is due again at once.
   */
  | { kind: "suspended"; wakeAt?: number; ready: boolean }
  | { kind: "finished"; status: RunStatus }
  | { kind: "dropped"; reason: string };

/**
 * Drives one claimed run until it suspends, finishes, or loses its claim: feeds the execution its
 * inputs one at a time, commits what the code did (batched with other runs), and calls onCreated
 * after a hook's registration is durable.
 *
 * Steps start without waiting for their `step.started` to be durable: the start goes with the
 * step's result when the step ends within `recordDelayMs`, else it is committed when that time is
 * up. A fast step then costs one commit, not two. Everything else is committed before the code
 * goes on (see HOLDABLE), as are suspending and finishing.
 * A run recovered from another worker (`careful`) records every start before its step runs, so a
 * step that kills its worker is counted as a failed attempt from its second try on.
 */
export class RunDriver {
  private queue: LatchEvent[] = [];
  private buffer: LatchEvent[] = [];
  private deliveries: PreparedDelivery[] = [];
  private tasks: StepCall[] = [];
  private toNotify: HookState[] = [];
  private readonly running = new Set<StepCall>();
  private readonly abort = new AbortController();
  private readonly queuedInbox = new Set<number>();
  private wake: (() => void) | undefined;
  private wantInbox = false;
  private wantCancel = false;
  private timedOut = false;
  /** An error that fails the run at the next turn (thrown by onHookRegistered). */
  private failure: { error: unknown } | undefined;
  private checkCancel = false;
  private stopped = false;
  /** When the oldest uncommitted event was recorded while commits were held back. */
  private heldSince: number | undefined;
  private readonly careful: boolean;
  /** True while the run waits on running steps or timers with nothing else to do. */
  blocked = false;
  /** True from the moment the driver sends the commit that suspends or ends the run. */
  releasing = false;

  constructor(
    private readonly deps: DriverDeps,
    readonly exec: Execution,
    opts: {
      /**
       * The event that opens this claim (run.started, run.resumed), or "timed_out": the workflow
       * timeout passed while the run lay suspended (or cut off by a crash), so it ends timed_out as
       * it lies — nothing resumed, delivered or retried, no onResume — as a cancel of a suspended
       * run does.
       */
      intro: LatchEvent | "timed_out";
      inbox: InboxRecord[];
      cancelRequested: boolean;
      cold: boolean;
      /** Record every step start before the step runs (the run was recovered). */
      careful: boolean;
    },
  ) {
    this.careful = opts.careful || deps.recordDelayMs <= 0;
    if (opts.intro === "timed_out") {
      this.timedOut = true;
      return;
    }
    this.record(opts.intro);
    this.enqueueInbox(opts.inbox);
    this.wantCancel = opts.cancelRequested;
    if (opts.cold) this.recoverAfterReplay();
  }

  get runId(): string {
    return this.exec.runId;
  }

  /** Adds an event to the next commit, with the lifecycle deliveries it causes (state as of now). */
  private record(e: LatchEvent): void {
    this.buffer.push(e);
    if (!this.deps.hasLifecycleHooks && !this.exec.stepHooks) return;
    const seq = this.exec.seq + this.buffer.length;
    const found = deliveriesFor(this.deps.workflow, this.exec, [e], this.deps.clock.now());
    for (const [k, d] of found.entries()) {
      // Stable and unique without randomness: the run, the event's log position, the delivery's rank.
      const id = `dlv_${this.runId.slice(4)}_${seq}_${k}`;
      const hooks = (
        d.event.step ? this.exec.steps.get(d.event.step.callSeq)?.options.hooks : this.deps.workflow.hooks
      ) as LifecycleHooks | undefined;
      this.deliveries.push({
        id,
        handler: d.handler,
        event: { ...d.event, id, hook: d.handler },
        handlers: listOf(hooks?.[d.handler]),
      });
    }
  }

  /** Something outside changed (a payload, a cancel): look again. */
  kick(what: { inbox?: boolean; cancel?: boolean } = {}): void {
    if (what.inbox) this.wantInbox = true;
    if (what.cancel) this.checkCancel = true;
    this.wake?.();
  }

  /** Stops driving without recording anything (the claim was lost, or the engine is closing). */
  stop(reason: string): void {
    this.stopped = true;
    this.abort.abort(new Error(reason));
    this.wake?.();
  }

  async drive(): Promise<DriverEnd> {
    try {
      return await this.loop();
    } catch (err) {
      this.stop("driver error");
      this.deps.logger.error(`run ${this.runId}: worker error, the run will be retried from its log`, {
        error: serializeError(err),
      });
      return { kind: "dropped", reason: (err as Error).message };
    }
  }

  private async loop(): Promise<DriverEnd> {
    const ex = this.exec;
    for (;;) {
      if (this.stopped) return { kind: "dropped", reason: "stopped" };
      if (this.timedOut) return this.finish("timed_out");
      await this.applyQueue();
      if (ex.fatal) return this.finish("failed", undefined, serializeError(ex.fatal));
      if (this.failure) return this.finish("failed", undefined, serializeError(this.failure.error));
      if (this.checkCancel) {
        this.checkCancel = false;
        if ((await this.deps.store.getRun(this.runId))?.cancelRequested) this.wantCancel = true;
      }
      if (this.wantCancel) return this.finishCancelled();
      if (ex.outcome) {
        if (ex.outcome.ok) {
          let output: string | undefined;
          try {
            output = encodeValue(ex.outcome.value, "workflow result");
          } catch (err) {
            return this.finish("failed", undefined, serializeError(err));
          }
          return this.finish("succeeded", output);
        }
        return this.finish("failed", undefined, serializeError(ex.outcome.error));
      }

      await this.collectDue();
      if (this.timedOut) return this.finish("timed_out");
      if (this.queue.length) continue;

      const suspend =
        this.tasks.length === 0 &&
        this.running.size === 0 &&
        this.toNotify.length === 0 &&
        !this.wantInbox &&
        !this.checkCancel;
      if (suspend || (this.buffer.length && !this.mayHold())) {
        this.heldSince = undefined;
        const wakeAt = this.nextWake();
        if (suspend) this.record({ type: "run.suspended", wakeAt });
        const res = await this.commit(suspend ? { release: { wakeAt }, status: "suspended" } : {});
        if (res === "retry") continue;
        if (!res) return { kind: "dropped", reason: "conflict" };
        if (suspend) return { kind: "suspended", wakeAt, ready: res.pendingInbox > 0 || res.cancelRequested };
        if (res.cancelRequested) this.wantCancel = true;
        if (res.pendingInbox > this.queuedInbox.size) this.wantInbox = true;
        await this.notifyHooks();
      }
      if (this.wantCancel || this.failure) continue;

      for (const t of this.tasks) this.startStep(t);
      this.tasks = [];
      if (this.wantInbox) {
        this.wantInbox = false;
        this.enqueueInbox(await this.deps.store.readInbox(this.runId));
      }
      const held = this.heldSince !== undefined;
      if (this.queue.length || (this.buffer.length && !held) || this.tasks.length) continue;
      if (this.running.size > 0 || this.checkCancel || held) await this.waitForWork();
    }
  }

  /**
   * Whether the buffer may wait for a later commit: steps are about to start or running (their
   * results will come with it), and nothing in it must be durable before the code goes on.
   */
  private mayHold(): boolean {
    if (this.careful || this.toNotify.length > 0) return false;
    if (this.tasks.length === 0 && this.running.size === 0) return false;
    const now = Date.now();
    if (this.heldSince !== undefined && now - this.heldSince >= this.deps.recordDelayMs) return false;
    for (const e of this.buffer) if (!HOLDABLE.has(e.type)) return false;
    this.heldSince ??= now;
    return true;
  }

  /** Applies queued inputs one at a time, letting the code run after each, recording as it goes. */
  private async applyQueue(): Promise<void> {
    const ex = this.exec;
    this.takeFromCode();
    while (this.queue.length && !ex.fatal && !ex.outcome) {
      let e = this.queue.shift()!;
      if (e.type === "hook.received") {
        this.queuedInbox.delete(e.inboxId);
        e = await this.checkPayload(e);
      }
      try {
        ex.apply(e);
      } catch (err) {
        if (!NonDeterminismError.is(err)) throw err;
      }
      this.record(e);
      await settle();
      this.takeFromCode();
    }
  }

  /**
   * A payload is checked against the hook's own schema before the code sees it. The process that
   * recorded it checked the stored JSON Schema only when it had no code for the hook, so a
   * refinement JSON Schema cannot express may fail here: then it is recorded as hook.rejected, the
   * hook goes on waiting, and the run is not harmed.
   */
  private async checkPayload(e: EventOf<"hook.received">): Promise<LatchEvent> {
    const hook = this.exec.hooks.get(e.hookId);
    if (!hook) return e;
    const issues = await hook.check(e.payload, e.inboxId);
    if (!issues) return e;
    const { type: _, ...rest } = e;
    this.deps.logger.warn(
      `run ${this.runId}: a payload for hook ${JSON.stringify(e.token)} failed its schema and was rejected; the hook still waits`,
      { issues },
    );
    return { ...rest, type: "hook.rejected", issues };
  }

  private takeFromCode(): void {
    const ex = this.exec;
    for (const c of ex.takeCommands()) this.record(c);
    for (const t of ex.takeStepTasks()) this.tasks.push(t);
    for (const h of ex.takeNewHooks()) if (h.onCreated || this.deps.onHookRegistered) this.toNotify.push(h);
  }

  /** Timers that fell due: sleeps end, back-offs end (a new attempt), hooks expire. */
  private async collectDue(): Promise<void> {
    const ex = this.exec;
    const now = this.deps.clock.now();
    if (ex.deadline !== undefined && ex.deadline <= now) {
      this.timedOut = true;
      return;
    }
    for (const s of ex.sleeps.values()) {
      if (
        !s.done &&
        s.until <= now &&
        !this.queue.some((e) => e.type === "sleep.completed" && e.callSeq === s.callSeq)
      ) {
        this.queue.push({ type: "sleep.completed", callSeq: s.callSeq });
      }
    }
    for (const call of ex.steps.values()) {
      if (call.state === "backoff" && call.retryAt !== undefined && call.retryAt <= now) ex.retryStep(call);
    }
    const expiring = [...ex.hooks.values()].filter(
      (h) => h.status === "pending" && h.expiresAt !== undefined && h.expiresAt <= now,
    );
    if (expiring.length) {
      // Payloads accepted before the timeout are delivered before the expiry: none is lost.
      this.enqueueInbox(await this.deps.store.readInbox(this.runId));
      for (const h of expiring) {
        if (!this.queue.some((e) => e.type === "hook.expired" && e.hookId === h.hookId)) {
          this.queue.push({ type: "hook.expired", hookId: h.hookId, token: h.token });
        }
      }
    }
    this.takeFromCode();
  }

  /** The earliest timer of the run, its workflow timeout included. */
  private nextWake(): number | undefined {
    const t = this.exec.nextTimer();
    const d = this.exec.deadline;
    return d === undefined ? t : t === undefined ? d : Math.min(t, d);
  }

  private enqueueInbox(rows: InboxRecord[]): void {
    for (const row of rows) {
      const hook = this.exec.hooks.get(row.hookId);
      if (this.queuedInbox.has(row.id) || (hook && row.id <= hook.lastInboxId)) continue;
      this.queuedInbox.add(row.id);
      this.queue.push({
        type: "hook.received",
        hookId: row.hookId,
        token: row.token,
        inboxId: row.id,
        payload: row.payload,
        receivedAt: row.receivedAt,
        ...(row.by ? { by: row.by } : {}),
        ...(row.channel ? { channel: row.channel } : {}),
      });
    }
  }

  private startStep(call: StepCall): void {
    this.running.add(call);
    void runStepAttempt(this.exec, call, this.deps.clock, this.abort.signal, this.deps.intercept).then(
      (outcome) => {
        this.running.delete(call);
        // A late answer from an attempt already settled (timed out, superseded) is not recorded.
        if (this.stopped || call.state !== "running" || call.attempt !== outcome.attempt) return;
        this.queue.push(outcome);
        this.wake?.();
      },
    );
  }

  private waitForWork(): Promise<void> {
    return new Promise((resolve) => {
      const at = this.nextWake();
      const cancelTimer = at === undefined ? undefined : this.deps.clock.setTimer(at, () => this.wake?.());
      // Held events are committed when their time is up (real time: it batches I/O, it is not a
      // workflow timer a virtual clock should move).
      const flush =
        this.heldSince === undefined
          ? undefined
          : setTimeout(() => this.wake?.(), this.heldSince + this.deps.recordDelayMs - Date.now());
      this.wake = () => {
        this.wake = undefined;
        this.blocked = false;
        cancelTimer?.();
        if (flush) clearTimeout(flush);
        resolve();
      };
      if (this.queue.length || this.stopped) this.wake();
      else if (this.heldSince === undefined) {
        // Blocked only with nothing held back: idle() then finds every event recorded.
        this.blocked = true;
        this.deps.onBlocked?.();
      }
    });
  }

  /** After a cold replay: attempts cut off by a crash are retried (or fail when none are left). */
  private recoverAfterReplay(): void {
    for (const call of this.exec.steps.values()) {
      if (call.state !== "running" || call.live) continue;
      if (call.attempt > call.options.retries) {
        this.queue.push({
          type: "step.failed",
          callSeq: call.callSeq,
          name: call.name,
          attempt: call.attempt,
          error: {
            name: "Error",
            message: `the worker stopped during attempt ${call.attempt} of step "${call.name}" and no retries are left`,
          },
        });
      } else {
        this.exec.retryStep(call);
      }
    }
    for (const h of this.exec.hooks.values()) {
      if (!h.notified && h.onCreated && h.status === "pending") this.toNotify.push(h);
    }
  }

  private async notifyHooks(): Promise<void> {
    const hooks = this.toNotify;
    this.toNotify = [];
    for (const h of hooks) {
      if (this.failure) break; // the run ends at the next turn: nobody should be told of its hooks
      if (h.status === "conflict") continue;
      try {
        await this.deps.onHookRegistered?.(h);
      } catch (error) {
        this.failure ??= { error };
      }
      if (!h.onCreated || h.notified) continue;
      try {
        await h.onCreated(h.token);
      } catch (err) {
        this.deps.logger.error(
          `run ${this.runId}: onCreated of hook ${h.token} threw; the hook is live regardless`,
          {
            error: serializeError(err),
          },
        );
      }
      h.notified = true;
      this.record({ type: "hook.notified", callSeq: h.callSeq, hookId: h.hookId });
    }
  }

  private async finish(status: RunStatus, output?: string, error?: SerializedError): Promise<DriverEnd> {
    this.abort.abort(new Error(`run ${status}`));
    this.closeHooksEvents();
    this.record(
      status === "succeeded"
        ? { type: "run.succeeded", output }
        : status === "cancelled"
          ? { type: "run.cancelled" }
          : status === "timed_out"
            ? { type: "run.timed_out", deadline: this.exec.deadline ?? this.deps.clock.now() }
            : { type: "run.failed", error: error! },
    );
    for (;;) {
      const res = await this.commit({ status, output, error, closeAllHooks: true });
      if (res === "retry") continue;
      if (!res) return { kind: "dropped", reason: "conflict" };
      this.deps.signals.finished(this.runId);
      return { kind: "finished", status };
    }
  }

  private finishCancelled(): Promise<DriverEnd> {
    return this.finish("cancelled");
  }

  private closeHooksEvents(): void {
    for (const h of this.exec.hooks.values()) {
      if (h.status === "pending") {
        this.record({ type: "hook.disposed", hookId: h.hookId, token: h.token, reason: "run_ended" });
      }
    }
  }

  /** Commits the buffer. Returns "retry" after a refused custom token (now recorded as a conflict). */
  private async commit(
    extra: Partial<Pick<RunCommit, "release" | "status" | "output" | "error" | "closeAllHooks">>,
  ): Promise<(CommitResult & { ok: true }) | "retry" | undefined> {
    // A commit that gives the run back: a lease renewal that finds it gone meanwhile is not news.
    if (extra.release !== undefined || extra.status !== undefined) this.releasing = true;
    const events = this.buffer;
    const registerHooks: HookRegistration[] = [];
    const closeHooks: RunCommit["closeHooks"] = [];
    const consumeInbox: number[] = [];
    const rejectInbox: NonNullable<RunCommit["rejectInbox"]> = [];
    for (const e of events) {
      if (e.type === "hook.created" && !e.conflict) {
        registerHooks.push({
          hookId: e.hookId,
          token: e.token,
          name: e.name,
          kind: e.kind,
          schema: e.schema,
          metadata: e.metadata,
          expiresAt: e.expiresAt,
          adoptEarly: e.token !== `${this.runId}:${e.hookId}`,
        });
      } else if (e.type === "hook.disposed" && e.reason === "disposed") {
        closeHooks.push({ hookId: e.hookId, status: "disposed" });
      } else if (e.type === "hook.expired") {
        closeHooks.push({ hookId: e.hookId, status: "expired" });
      } else if (e.type === "hook.received") {
        consumeInbox.push(e.inboxId);
      } else if (e.type === "hook.rejected") {
        rejectInbox.push({ id: e.inboxId, issues: e.issues });
      }
    }
    const deliveries = this.deliveries;
    const res = await this.deps.commits.submit({
      // One outbox row per commit (not per delivery): fewer writes, same guarantee.
      outbox: deliveries.length
        ? [
            {
              id: deliveries[0]!.id,
              handler: "batch",
              event: JSON.stringify(
                deliveries.map((d) => ({ id: d.id, handler: d.handler, event: d.event })),
              ),
            },
          ]
        : [],
      outboxLeaseMs: this.deps.leaseMs,
      runId: this.runId,
      owner: this.deps.owner,
      expectedSeq: this.exec.seq,
      events,
      registerHooks,
      closeHooks,
      consumeInbox,
      ...(rejectInbox.length ? { rejectInbox } : {}),
      now: this.deps.clock.now(),
      ...extra,
    });
    if (res.ok) {
      this.exec.seq = res.seq;
      this.buffer = [];
      this.deliveries = [];
      if (deliveries.length) this.deps.dispatch(deliveries);
      return res;
    }
    if (res.reason === "token_taken") {
      this.releasing = false; // not given back: the code goes on without the refused hooks
      for (const e of events) {
        if (e.type === "hook.created" && res.hookIds.includes(e.hookId)) e.conflict = true;
      }
      if (events[events.length - 1]?.type === "run.suspended") events.pop();
      for (const id of res.hookIds) this.exec.markHookConflict(id);
      this.toNotify = this.toNotify.filter((h) => !res.hookIds.includes(h.hookId));
      await settle();
      return "retry";
    }
    this.stop(res.reason);
    return undefined;
  }
}
