import type { Signals } from "../client/signals.js";
import type { Clock } from "../clock.js";
import { NonDeterminismError, serializeError } from "../errors.js";
import { liveDeliveries, type PreparedDelivery } from "../lifecycle/deliveries.js";
import type { StepCall } from "../replay/calls.js";
import type { EventOf, LatchEvent } from "../replay/events.js";
import { type Execution, settle } from "../replay/execution.js";
import type { HookState } from "../replay/hook-state.js";
import type { CommitResult, InboxRecord, RunCommit, RunStatus } from "../store/records.js";
import type { Store } from "../store/store.js";
import type { Workflow } from "../workflow/define-workflow.js";
import { CommitHold } from "./commit-hold.js";
import { type CommitEnd, CommitPlanner } from "./commit-planner.js";
import type { CommitQueue } from "./commit-queue.js";
import { HookNotices } from "./hook-notices.js";
import type { Logger } from "./logger.js";
import { PayloadFeed, rejection } from "./payload-feed.js";
import { endEvents, endOfCode, type RunEnd } from "./run-end.js";
import { type Intercept, RunningSteps } from "./step-runner.js";

export interface DriverDeps {
  store: Store;
  commits: CommitQueue;
  clock: Clock;
  owner: string;
  logger: Logger;
  signals: Signals;
  /** See HookNoticeDeps.onHookRegistered. */
  onHookRegistered?: (hook: HookState) => void | Promise<void>;
  /** Called when the driver blocks waiting on running steps or timers. */
  onBlocked?: () => void;
  /** The workflow being driven (its lifecycle hooks). */
  workflow: Workflow;
  /** The worker's lease: also how long it holds the lifecycle deliveries it commits. */
  leaseMs: number;
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
 * inputs one at a time (payloads, step outcomes, due timers), runs the steps the code asks for,
 * waits when there is nothing to do, and has what the code did committed (the CommitPlanner
 * decides what a commit writes; the CommitQueue batches it with other runs').
 *
 * Steps start without waiting for their `step.started` to be durable: the start goes with the
 * step's result when the step ends within `recordDelayMs`, else it is committed when that time is
 * up. A fast step then costs one commit, not two. Everything else is committed before the code
 * goes on (see HOLDABLE in commit-planner.ts), as are suspending and finishing.
 * A run recovered from another worker (`careful`) records every start before its step runs, so a
 * step that kills its worker is counted as a failed attempt from its second try on.
 */
export class RunDriver {
  private queue: LatchEvent[] = [];
  private readonly plan: CommitPlanner;
  private readonly feed = new PayloadFeed();
  private readonly notices: HookNotices;
  private readonly steps: RunningSteps;
  private tasks: StepCall[] = [];
  private wake: (() => void) | undefined;
  private wantInbox = false;
  private wantCancel = false;
  private checkCancel = false;
  private timedOut = false;
  /** An error that fails the run at the next turn (thrown by onHookRegistered). */
  private failure: { error: unknown } | undefined;
  private stopped = false;
  private readonly hold: CommitHold;
  /** True while the run waits on running steps or timers with nothing else to do. */
  blocked = false;
  /** True from the moment the driver sends the commit that suspends or ends the run. */
  releasing = false;

  constructor(
    private readonly deps: DriverDeps,
    readonly exec: Execution,
    opts: {
      /** The event that opens this claim, or "timed_out" (see LoadedRun.intro). */
      intro: LatchEvent | "timed_out";
      inbox: InboxRecord[];
      cancelRequested: boolean;
      /** Replayed from its log just now: attempts a crash cut off, onCreated not confirmed. */
      cold: boolean;
      /** Record every step start before the step runs (the run was recovered). */
      careful: boolean;
    },
  ) {
    const { clock } = deps;
    this.plan = new CommitPlanner({
      runId: exec.runId,
      owner: deps.owner,
      leaseMs: deps.leaseMs,
      deliveriesOf: liveDeliveries(deps.workflow, exec, () => clock.now()),
    });
    this.notices = new HookNotices({
      runId: exec.runId,
      logger: deps.logger,
      onHookRegistered: deps.onHookRegistered,
    });
    this.steps = new RunningSteps(exec, clock, deps.intercept, (outcome) => {
      this.queue.push(outcome);
      this.wake?.();
    });
    this.hold = new CommitHold(deps.recordDelayMs, opts.careful || deps.recordDelayMs <= 0);
    if (opts.intro === "timed_out") {
      this.timedOut = true;
      return;
    }
    this.record(opts.intro);
    this.queue.push(...this.feed.take(opts.inbox));
    this.wantCancel = opts.cancelRequested;
    if (opts.cold) {
      this.queue.push(...exec.resumeCutOffSteps());
      this.notices.unconfirmed(exec.unnotifiedHooks());
    }
  }

  get runId(): string {
    return this.exec.runId;
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
    this.steps.abortAll(reason);
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

  /** Adds an event to the next commit (with the lifecycle deliveries it causes, state as of now). */
  private record(e: LatchEvent): void {
    this.plan.record(e, this.exec.seq);
  }

  private async loop(): Promise<DriverEnd> {
    const ex = this.exec;
    for (;;) {
      if (this.stopped) return { kind: "dropped", reason: "stopped" };
      if (this.timedOut) return this.finish({ status: "timed_out" });
      await this.applyQueue();
      if (ex.fatal) return this.finish({ status: "failed", error: serializeError(ex.fatal) });
      if (this.failure) return this.finish({ status: "failed", error: serializeError(this.failure.error) });
      if (this.checkCancel) {
        this.checkCancel = false;
        if ((await this.deps.store.getRun(this.runId))?.cancelRequested) this.wantCancel = true;
      }
      if (this.wantCancel) return this.finish({ status: "cancelled" });
      if (ex.outcome) return this.finish(endOfCode(ex.outcome));

      await this.collectDue();
      if (this.timedOut) return this.finish({ status: "timed_out" });
      if (this.queue.length) continue;

      const suspend =
        this.tasks.length === 0 &&
        this.steps.size === 0 &&
        this.notices.size === 0 &&
        !this.wantInbox &&
        !this.checkCancel;
      if (suspend || (this.plan.size && !this.mayHold())) {
        this.hold.release();
        const wakeAt = ex.nextWakeAt();
        if (suspend) this.record({ type: "run.suspended", wakeAt });
        const res = await this.commit(suspend ? { release: { wakeAt }, status: "suspended" } : {});
        if (res === "retry") continue;
        if (!res) return { kind: "dropped", reason: "conflict" };
        if (suspend) return { kind: "suspended", wakeAt, ready: res.pendingInbox > 0 || res.cancelRequested };
        if (res.cancelRequested) this.wantCancel = true;
        if (res.pendingInbox > this.feed.outstanding) this.wantInbox = true;
        this.failure ??= await this.notices.tell((e) => {
          ex.apply(e);
          this.record(e);
        });
      }
      if (this.wantCancel || this.failure) continue;

      for (const t of this.tasks) this.steps.start(t);
      this.tasks = [];
      if (this.wantInbox) {
        this.wantInbox = false;
        await this.readInbox();
      }
      const held = this.hold.holding;
      if (this.queue.length || (this.plan.size && !held) || this.tasks.length) continue;
      if (this.steps.size > 0 || this.checkCancel || held) await this.waitForWork();
    }
  }

  /** Whether the buffer may wait for a later commit (see CommitHold). */
  private mayHold(): boolean {
    return this.hold.mayHold({
      holdable: this.plan.holdable,
      stepsAhead: this.tasks.length > 0 || this.steps.size > 0,
      hooksToTell: this.notices.size > 0,
    });
  }

  /** Applies queued inputs one at a time, letting the code run after each, recording as it goes. */
  private async applyQueue(): Promise<void> {
    const ex = this.exec;
    this.takeFromCode();
    while (this.queue.length && !ex.fatal && !ex.outcome) {
      let e = this.queue.shift()!;
      if (e.type === "hook.received") {
        // Checked against the hook's own schema before the code sees it: a payload that passed the
        // stored JSON Schema where it was sent may fail a refinement only the code knows. Then it
        // is recorded as hook.rejected, the hook goes on waiting, and the run is not harmed.
        const issues = await ex.checkPayload(e);
        if (issues) {
          this.deps.logger.warn(
            `run ${this.runId}: a payload for hook ${JSON.stringify(e.token)} failed its schema and was rejected; the hook still waits`,
            { issues },
          );
          e = rejection(e, issues);
        }
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

  private takeFromCode(): void {
    const ex = this.exec;
    for (const c of ex.takeCommands()) this.record(c);
    for (const t of ex.takeStepTasks()) this.tasks.push(t);
    this.notices.created(ex.takeNewHooks());
  }

  /** Timers that fell due: the workflow's timeout, sleeps end, back-offs end (a new attempt), hooks expire. */
  private async collectDue(): Promise<void> {
    const ex = this.exec;
    const now = this.deps.clock.now();
    if (ex.deadline !== undefined && ex.deadline <= now) {
      this.timedOut = true;
      return;
    }
    const { sleeps, expiries } = ex.dueTimers(now);
    for (const e of sleeps) this.queueOnce(e);
    if (expiries.length) {
      // Payloads accepted before the timeout are delivered before the expiry: none is lost.
      await this.readInbox();
      for (const e of expiries) this.queueOnce(e);
    }
    this.takeFromCode();
  }

  /** Queues a timer's event unless it is queued already (once applied, it is not due any more). */
  private queueOnce(e: EventOf<"sleep.completed" | "hook.expired">): void {
    const key = (q: LatchEvent) => ("callSeq" in q ? q.callSeq : "hookId" in q ? q.hookId : undefined);
    if (!this.queue.some((q) => q.type === e.type && key(q) === key(e))) this.queue.push(e);
  }

  /** Queues the payloads waiting in the run's inbox that it has not taken yet. */
  private async readInbox(): Promise<void> {
    this.queue.push(...this.feed.take(await this.deps.store.readInbox(this.runId)));
  }

  private waitForWork(): Promise<void> {
    return new Promise((resolve) => {
      const at = this.exec.nextWakeAt();
      const cancelTimer = at === undefined ? undefined : this.deps.clock.setTimer(at, () => this.wake?.());
      // Held events are committed when their time is up (real time: it batches I/O, it is not a
      // workflow timer a virtual clock should move).
      const dueIn = this.hold.dueIn();
      const flush = dueIn === undefined ? undefined : setTimeout(() => this.wake?.(), dueIn);
      this.wake = () => {
        this.wake = undefined;
        this.blocked = false;
        cancelTimer?.();
        if (flush) clearTimeout(flush);
        resolve();
      };
      if (this.queue.length || this.stopped) this.wake();
      else if (!this.hold.holding) {
        // Blocked only with nothing held back: idle() then finds every event recorded.
        this.blocked = true;
        this.deps.onBlocked?.();
      }
    });
  }

  /** Records the run's end and commits it with the run's final status (every hook closed). */
  private async finish(end: RunEnd): Promise<DriverEnd> {
    this.steps.abortAll(`run ${end.status}`);
    for (const e of endEvents(this.exec, end, this.deps.clock.now())) this.record(e);
    for (;;) {
      const res = await this.commit({ ...end, closeAllHooks: true });
      if (res === "retry") continue;
      if (!res) return { kind: "dropped", reason: "conflict" };
      this.deps.signals.finished(this.runId);
      return { kind: "finished", status: end.status };
    }
  }

  /** Commits the buffer. Returns "retry" after a refused custom token (now recorded as a conflict). */
  private async commit(end: CommitEnd): Promise<(CommitResult & { ok: true }) | "retry" | undefined> {
    // A commit that gives the run back: a lease renewal that finds it gone meanwhile is not news.
    if (end.release !== undefined || end.status !== undefined) this.releasing = true;
    const planned: RunCommit = this.plan.plan(this.exec.seq, this.deps.clock.now(), end);
    const res = await this.deps.commits.submit(planned);
    if (res.ok) {
      this.exec.committed(res.seq);
      this.feed.consumed(planned);
      const deliveries = this.plan.committed();
      if (deliveries.length) this.deps.dispatch(deliveries);
      return res;
    }
    if (res.reason === "token_taken") {
      this.releasing = false; // not given back: the code goes on without the refused hooks
      for (const id of res.hookIds) this.exec.markHookConflict(id);
      this.plan.refused();
      this.notices.drop(res.hookIds);
      await settle();
      return "retry";
    }
    this.stop(res.reason);
    return undefined;
  }
}
