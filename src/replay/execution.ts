import { HookDisposedError, type NonDeterminismError, type PayloadIssue } from "../errors.js";
import { CallMatcher } from "./call-matcher.js";
import {
  earliest,
  type HookCallOptions,
  SleepCall,
  StepCall,
  type StepCallOptions,
  type StepFn,
} from "./calls.js";
import type { EventOf, LatchEvent } from "./events.js";
import type { ExecutionHost, RunServices } from "./execution-host.js";
import { HookState } from "./hook-state.js";
import { RunHooks } from "./run-hooks.js";
import { RunSteps } from "./run-steps.js";
import { runInScope } from "./scope.js";
import { checkToken } from "./token.js";

/**
 * One run's workflow code, driven by its event log. PURE: it does no I/O. It is fed events (`apply`)
 * and answers with what the code asked for (`takeCommands`, `takeStepTasks`); the runtime does the
 * rest (storage, running steps, timers).
 *
 * Replay and live execution are the same path: every event is applied one at a time and the code
 * is let run until it is quiet again (`settle`), so a run re-executed from its log sees exactly the
 * interleaving it saw live, Promise.race and Promise.all included.
 */
export class Execution {
  /** New events the code produced since the last takeCommands(), in order. */
  private commands: LatchEvent[] = [];
  private newSteps: StepCall[] = [];
  private readonly calls: CallMatcher;
  private readonly steps = new RunSteps();
  private readonly sleeps = new Map<number, SleepCall>();
  private readonly hooks = new RunHooks();
  private logSeq = 0;
  private runDeadline: number | undefined;

  outcome: { ok: true; value: unknown } | { ok: false; error: unknown } | undefined;

  constructor(
    readonly runId: string,
    readonly workflowName: string,
    private readonly host: ExecutionHost,
  ) {
    this.calls = new CallMatcher(runId, workflowName);
  }

  /** A broken replay: the run must fail with this, whatever the code does with it. */
  get fatal(): NonDeterminismError | undefined {
    return this.calls.fatal;
  }

  /** Position of the last event applied from, or committed to, the log. */
  get seq(): number {
    return this.logSeq;
  }

  /** When the workflow's timeout ends the run, if it has one (from its run.started). */
  get deadline(): number | undefined {
    return this.runDeadline;
  }

  /** Whether any step of this run declared lifecycle hooks. */
  get hasStepLifecycle(): boolean {
    return this.steps.hasLifecycle;
  }

  /** The run context of the engine executing this run (see RunServices). */
  get services(): RunServices | undefined {
    return this.host.services;
  }

  /**
   * Starts the workflow function and re-executes it against its log, one event at a time.
   * Afterwards the execution is live: new calls become commands. `seq` is the log's last position
   * (given when the log was not read: a fresh run's is run.created alone, at 1).
   */
  async begin(
    fn: (...args: any[]) => unknown,
    args: unknown[],
    history: readonly (LatchEvent & { seq: number })[],
    seq = history.at(-1)?.seq ?? 0,
  ): Promise<void> {
    this.logSeq = seq;
    this.calls.load(history, history.filter(drivesCode).length);
    runInScope({ kind: "workflow", execution: this }, () => {
      let result: Promise<unknown>;
      try {
        result = Promise.resolve(fn(...args));
      } catch (err) {
        result = Promise.reject(err);
      }
      result.then(
        (value) => {
          this.outcome ??= { ok: true, value };
        },
        (error) => {
          this.outcome ??= { ok: false, error };
        },
      );
    });
    await settle();
    for (const e of history) {
      if (this.fatal) return;
      if (!drivesCode(e)) {
        this.apply(e);
        continue;
      }
      this.calls.applied();
      try {
        this.apply(e);
      } catch (err) {
        if (err !== this.fatal) throw err;
        return;
      }
      await settle();
    }
    this.calls.live();
  }

  /** The log now ends at `seq`: every event taken so far is in it. */
  committed(seq: number): void {
    this.logSeq = seq;
    this.hooks.committed();
  }

  /** Applies one event to the code's state (resolving what it awaits). Live and on replay. */
  apply(e: LatchEvent): void {
    switch (e.type) {
      case "run.started":
        this.runDeadline = e.deadline;
        return;
      case "step.started":
        this.calls.expect(e.callSeq, e);
        this.steps.apply(e);
        return;
      case "step.retrying":
      case "step.completed":
      case "step.failed":
        this.steps.apply(e);
        return;
      case "sleep.started":
      case "value.recorded":
      case "hook.created":
        this.calls.expect(e.callSeq, e);
        return;
      case "sleep.completed": {
        const call = this.sleeps.get(e.callSeq);
        if (call && !call.done) {
          call.done = true;
          call.resolve();
        }
        return;
      }
      case "hook.disposed":
        if (e.callSeq !== undefined) this.calls.expect(e.callSeq, e);
        this.hooks.apply(e);
        return;
      case "hook.notified":
      case "hook.received":
      case "hook.rejected":
      case "hook.expired":
        this.hooks.apply(e);
        return;
      default:
        return;
    }
  }

  /** Calls the code made that the log does not have yet. */
  takeCommands(): LatchEvent[] {
    const out = this.commands;
    this.commands = [];
    return out;
  }

  /** Steps the runtime must start now (new calls, and retries started by timers or recovery). */
  takeStepTasks(): StepCall[] {
    const out = this.newSteps;
    this.newSteps = [];
    return out;
  }

  /** Hooks created since the last call, to register with the store (and notify once committed). */
  takeNewHooks(): HookState[] {
    return this.hooks.takeNew();
  }

  // ---- what the runtime asks of the run's state ----

  /**
   * Timers that fell due at `now`. Back-offs that ended start a new attempt at once (see
   * takeStepTasks); sleeps that ended and hooks that timed out come back as the events to apply.
   */
  dueTimers(now: number): { sleeps: EventOf<"sleep.completed">[]; expiries: EventOf<"hook.expired">[] } {
    const sleeps: EventOf<"sleep.completed">[] = [];
    for (const s of this.sleeps.values()) {
      if (!s.done && s.until <= now) sleeps.push({ type: "sleep.completed", callSeq: s.callSeq });
    }
    for (const call of this.steps.dueRetries(now)) this.retryStep(call);
    return { sleeps, expiries: this.hooks.expiring(now) };
  }

  /** The earliest time this run must be looked at again: a sleep, a back-off, a hook timeout, its deadline. */
  nextWakeAt(): number | undefined {
    let at = earliest(this.runDeadline, this.steps.nextRetry());
    for (const s of this.sleeps.values()) if (!s.done) at = earliest(at, s.until);
    return earliest(at, this.hooks.nextExpiry());
  }

  /**
   * After a cold replay: attempts the log shows running but no process runs (a crash cut them off)
   * are tried again, or fail when no retries are left (the events returned).
   */
  resumeCutOffSteps(): EventOf<"step.failed">[] {
    const failed: EventOf<"step.failed">[] = [];
    for (const call of this.steps.cutOff()) {
      if (call.attempt > call.options.retries) failed.push(call.cutOffFailure());
      else this.retryStep(call);
    }
    return failed;
  }

  /** Pending hooks whose onCreated never confirmed (after a cold replay). */
  unnotifiedHooks(): HookState[] {
    return this.hooks.unnotified();
  }

  /** The run ends: the events that dispose its hooks still pending. */
  hookDisposalsAtEnd(): EventOf<"hook.disposed">[] {
    return this.hooks.disposalsAtEnd();
  }

  /** Checks a payload against its hook's own schema before it is applied (undefined: valid). */
  checkPayload(e: EventOf<"hook.received">): Promise<PayloadIssue[] | undefined> {
    return this.hooks.check(e);
  }

  /** The store refused this hook's token: its creation is recorded as a conflict and its awaiters fail. */
  markHookConflict(hookId: string): void {
    this.hooks.markConflict(hookId);
  }

  /** A step call of this run (lifecycle/ reads its options and attempt). */
  stepCall(callSeq: number): StepCall | undefined {
    return this.steps.get(callSeq);
  }

  /** Step calls in the given states, in call order. */
  stepsIn(...states: StepCall["state"][]): StepCall[] {
    return this.steps.in(...states);
  }

  /** Starts a new attempt of a step that is waiting out its back-off, or was cut off by a crash. */
  private retryStep(call: StepCall): void {
    this.commands.push(call.startAttempt(call.attempt + 1));
    this.newSteps.push(call);
  }

  // ---- durable calls, made by the workflow API inside the workflow body ----

  callStep(name: string, fn: StepFn, options: StepCallOptions, input?: unknown): Promise<unknown> {
    const callSeq = this.calls.next("step.started", name);
    const call = new StepCall(callSeq, name, fn, options, input);
    this.steps.add(call);
    if (!this.calls.recordedAt(callSeq)) {
      this.commands.push(call.startAttempt(1));
      this.newSteps.push(call);
    }
    return call.promise;
  }

  callSleep(durationMs: number | undefined, until: number | undefined): Promise<void> {
    const callSeq = this.calls.next("sleep.started");
    const rec = this.calls.recordedAt<EventOf<"sleep.started">>(callSeq);
    const at = rec ? rec.until : (until ?? this.host.now() + (durationMs ?? 0));
    if (!rec) this.commands.push({ type: "sleep.started", callSeq, until: at });
    const call = new SleepCall(callSeq, at);
    this.sleeps.set(callSeq, call);
    return call.promise;
  }

  callCreateHook(opts: HookCallOptions): HookState {
    if (opts.token !== undefined) checkToken(opts.token);
    const callSeq = this.calls.next("hook.created", opts.name);
    const rec = this.calls.recordedAt<EventOf<"hook.created">>(callSeq);
    const hookId = rec?.hookId ?? this.host.newHookId();
    const token = rec?.token ?? opts.token ?? `${this.runId}:${hookId}`;
    const expiresAt = rec
      ? rec.expiresAt
      : opts.timeoutMs !== undefined
        ? this.host.now() + opts.timeoutMs
        : undefined;
    const hook = new HookState(this, {
      callSeq,
      hookId,
      token,
      name: opts.name,
      kind: opts.kind,
      expiresAt,
      schema: opts.schema,
      jsonSchema: opts.jsonSchema,
      metadata: opts.metadata,
      onCreated: opts.onCreated,
      customToken: opts.token !== undefined,
    });
    const created = this.hooks.open(hook, rec);
    if (created) this.commands.push(created);
    return hook;
  }

  /** The workflow disposes a hook: a durable call, so replay agrees on when the token was freed. */
  callDisposeHook(hook: HookState): void {
    if (hook.status !== "pending") return;
    const callSeq = this.calls.next("hook.disposed");
    if (!this.calls.recordedAt(callSeq)) {
      this.commands.push({
        type: "hook.disposed",
        hookId: hook.hookId,
        token: hook.token,
        callSeq,
        reason: "disposed",
      });
    }
    hook.close("disposed", () => new HookDisposedError(hook.token));
  }

  callValue(kind: "now" | "random" | "uuid"): number | string {
    const callSeq = this.calls.next("value.recorded", kind);
    const rec = this.calls.recordedAt<EventOf<"value.recorded">>(callSeq);
    if (rec) return rec.value;
    const value =
      kind === "now" ? this.host.now() : kind === "random" ? this.host.random() : this.host.randomUUID();
    this.commands.push({ type: "value.recorded", callSeq, kind, value });
    return value;
  }
}

/** Waits until the code has done all it can with what it was given (all microtasks have run). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Events that move the code forward or that the code itself made; the rest are bookkeeping. */
function drivesCode(e: LatchEvent): boolean {
  return !e.type.startsWith("run.");
}
