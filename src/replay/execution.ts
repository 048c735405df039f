import {
  deserializeError,
  HookConflictError,
  HookDisposedError,
  HookExpiredError,
  NonDeterminismError,
  type SerializedError,
} from "../errors.js";
import type { StandardSchemaV1 } from "../schema/standard.js";
import type { EventOf, HookKind, LatchEvent } from "./events.js";
import { HookState } from "./hook-state.js";
import { runInScope } from "./scope.js";
import { checkToken } from "./token.js";
import { decodeValue } from "./values.js";

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
  private newHooks: HookState[] = [];
  private callSeq = 0;
  /** First event of each durable call in the log, by callSeq. */
  private readonly recorded = new Map<number, Extract<LatchEvent, { callSeq: number }>>();
  private maxRecordedCall = 0;
  /** Log events not applied yet during replay; while > 0 every call must already be in the log. */
  private remaining = 0;

  readonly steps = new Map<number, StepCall>();
  readonly sleeps = new Map<number, SleepCall>();
  readonly hooks = new Map<string, HookState>();
  private readonly calls = new Set<number>();

  outcome: { ok: true; value: unknown } | { ok: false; error: unknown } | undefined;
  /** A broken replay: the run must fail with this, whatever the code does with it. */
  fatal: NonDeterminismError | undefined;
  /** Position of the last event applied from, or committed to, the log. */
  seq = 0;
  /** When the workflow's timeout ends the run, if it has one. */
  deadline: number | undefined;
  /** Whether any step of this run declared lifecycle hooks. */
  stepHooks = false;

  constructor(
    readonly runId: string,
    readonly workflowName: string,
    private readonly host: ExecutionHost,
  ) {}

  /** The run context of the engine executing this run (see RunServices). */
  get services(): RunServices | undefined {
    return this.host.services;
  }

  /**
   * Starts the workflow function and re-executes it against its log, one event at a time.
   * Afterwards the execution is live: new calls become commands.
   */
  async begin(
    fn: (...args: any[]) => unknown,
    args: unknown[],
    history: readonly (LatchEvent & { seq: number })[],
  ): Promise<void> {
    for (const e of history) {
      if ("callSeq" in e && typeof e.callSeq === "number" && !this.recorded.has(e.callSeq)) {
        this.recorded.set(e.callSeq, e as Extract<LatchEvent, { callSeq: number }>);
        this.maxRecordedCall = Math.max(this.maxRecordedCall, e.callSeq);
      }
    }
    this.remaining = history.filter(drivesCode).length;
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
      this.seq = e.seq;
      if (!drivesCode(e)) continue;
      this.remaining--;
      try {
        this.apply(e);
      } catch (err) {
        if (err !== this.fatal) throw err;
        return;
      }
      await settle();
    }
    this.remaining = 0;
  }

  /** Applies one event to the code's state (resolving what it awaits). Live and on replay. */
  apply(e: LatchEvent): void {
    switch (e.type) {
      case "step.started": {
        const call = this.expectCall(e.callSeq, e);
        if (call) {
          call.attempt = e.attempt;
          call.state = "running";
        }
        return;
      }
      case "step.retrying": {
        const call = this.steps.get(e.callSeq);
        if (call) {
          call.state = "backoff";
          call.retryAt = e.retryAt;
          call.lastError = e.error;
        }
        return;
      }
      case "step.completed": {
        const call = this.steps.get(e.callSeq);
        if (call && call.state !== "done") {
          call.state = "done";
          call.resolve(decodeValue(e.result));
        }
        return;
      }
      case "step.failed": {
        const call = this.steps.get(e.callSeq);
        if (call && call.state !== "done") {
          call.state = "done";
          call.reject(deserializeError(e.error));
        }
        return;
      }
      case "sleep.started":
      case "value.recorded":
        this.expectCall(e.callSeq, e);
        return;
      case "sleep.completed": {
        const call = this.sleeps.get(e.callSeq);
        if (call && !call.done) {
          call.done = true;
          call.resolve();
        }
        return;
      }
      case "hook.created": {
        this.expectCall(e.callSeq, e);
        return;
      }
      case "hook.notified": {
        const hook = this.hooks.get(e.hookId);
        if (hook) hook.notified = true;
        return;
      }
      case "hook.received":
        this.hooks.get(e.hookId)?.receive(e.payload, e.inboxId);
        return;
      case "hook.rejected":
        this.hooks.get(e.hookId)?.reject(e.inboxId);
        return;
      case "hook.expired":
        this.hooks.get(e.hookId)?.close("expired", () => new HookExpiredError(e.token));
        return;
      case "hook.disposed": {
        if (e.callSeq !== undefined) this.expectCall(e.callSeq, e);
        this.hooks.get(e.hookId)?.close("disposed", () => new HookDisposedError(e.token));
        return;
      }
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

  /** Steps the runtime must start now (new calls, and retries it scheduled with `retryStep`). */
  takeStepTasks(): StepCall[] {
    const out = this.newSteps;
    this.newSteps = [];
    return out;
  }

  /** Hooks created since the last call, to register with the store (and notify once committed). */
  takeNewHooks(): HookState[] {
    const out = this.newHooks;
    this.newHooks = [];
    return out;
  }

  /** Starts a new attempt of a step that is waiting out its back-off, or was cut off by a crash. */
  retryStep(call: StepCall): void {
    call.attempt += 1;
    call.state = "running";
    call.live = true;
    call.retryAt = undefined;
    this.commands.push({
      type: "step.started",
      callSeq: call.callSeq,
      name: call.name,
      attempt: call.attempt,
    });
    this.newSteps.push(call);
  }

  /** The earliest time something this run waits for falls due (sleep, retry back-off, hook timeout). */
  nextTimer(): number | undefined {
    let at: number | undefined;
    const min = (t: number | undefined) => {
      if (t !== undefined && (at === undefined || t < at)) at = t;
    };
    for (const s of this.sleeps.values()) if (!s.done) min(s.until);
    for (const s of this.steps.values()) if (s.state === "backoff") min(s.retryAt);
    for (const h of this.hooks.values()) if (h.status === "pending") min(h.expiresAt);
    return at;
  }

  /** True while a step runs: the run cannot suspend. */
  get busy(): boolean {
    for (const s of this.steps.values()) if (s.state === "running") return true;
    return false;
  }

  // ---- durable calls, made by the workflow API inside the workflow body ----

  callStep(name: string, fn: StepFn, options: StepCallOptions, input?: unknown): Promise<unknown> {
    const callSeq = this.nextCall("step.started", name);
    const call = new StepCall(callSeq, name, fn, options, input);
    this.steps.set(callSeq, call);
    if (options.hooks) this.stepHooks = true;
    if (!this.recorded.has(callSeq)) {
      call.attempt = 1;
      call.state = "running";
      call.live = true;
      this.commands.push({ type: "step.started", callSeq, name, attempt: 1 });
      this.newSteps.push(call);
    }
    return call.promise;
  }

  callSleep(durationMs: number | undefined, until: number | undefined): Promise<void> {
    const callSeq = this.nextCall("sleep.started");
    const rec = this.recorded.get(callSeq) as EventOf<"sleep.started"> | undefined;
    const at = rec ? rec.until : (until ?? this.host.now() + (durationMs ?? 0));
    if (!rec) this.commands.push({ type: "sleep.started", callSeq, until: at });
    const call = new SleepCall(callSeq, at);
    this.sleeps.set(callSeq, call);
    return call.promise;
  }

  callCreateHook(opts: HookCallOptions): HookState {
    if (opts.token !== undefined) checkToken(opts.token);
    const callSeq = this.nextCall("hook.created", opts.name);
    const rec = this.recorded.get(callSeq) as EventOf<"hook.created"> | undefined;
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
    this.hooks.set(hookId, hook);
    if (rec) {
      hook.notified = !opts.onCreated;
      if (rec.conflict) hook.close("conflict", () => new HookConflictError(token));
    } else {
      this.commands.push({
        type: "hook.created",
        callSeq,
        hookId,
        token,
        name: opts.name,
        kind: opts.kind,
        expiresAt,
        schema: opts.jsonSchema,
        metadata: opts.metadata,
      });
      this.newHooks.push(hook);
    }
    return hook;
  }

  /** The workflow disposes a hook: a durable call, so replay agrees on when the token was freed. */
  callDisposeHook(hook: HookState): void {
    if (hook.status !== "pending") return;
    const callSeq = this.nextCall("hook.disposed");
    if (!this.recorded.has(callSeq)) {
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

  /** The store refused the token (another live hook holds it): record that, fail the awaiters. */
  markHookConflict(hookId: string): void {
    const hook = this.hooks.get(hookId);
    if (!hook) return;
    for (const c of this.commands) {
      if (c.type === "hook.created" && c.hookId === hookId) c.conflict = true;
    }
    this.newHooks = this.newHooks.filter((h) => h !== hook);
    hook.close("conflict", () => new HookConflictError(hook.token));
  }

  callValue(kind: "now" | "random" | "uuid"): number | string {
    const callSeq = this.nextCall("value.recorded", kind);
    const rec = this.recorded.get(callSeq) as EventOf<"value.recorded"> | undefined;
    if (rec) return rec.value;
    const value =
      kind === "now" ? this.host.now() : kind === "random" ? this.host.random() : this.host.randomUUID();
    this.commands.push({ type: "value.recorded", callSeq, kind, value });
    return value;
  }

  /** Allocates the next call number and checks it against the log (NonDeterminismError on drift). */
  private nextCall(type: string, name?: string): number {
    if (this.fatal) throw this.fatal;
    const callSeq = ++this.callSeq;
    this.calls.add(callSeq);
    const rec = this.recorded.get(callSeq);
    if (rec) {
      const recName = callName(rec);
      if (rec.type !== type || (name !== undefined && recName !== name)) {
        this.fail(
          `durable call #${callSeq} is ${describe(type, name)} in the code but ${describe(rec.type, recName)} in the log of run ${this.runId}`,
        );
      }
    } else if (callSeq <= this.maxRecordedCall || this.remaining > 0) {
      this.fail(
        `durable call #${callSeq} (${describe(type, name)}) is in the code but not in the log of run ${this.runId}`,
      );
    }
    return callSeq;
  }

  private expectCall(callSeq: number, e: LatchEvent): StepCall | undefined {
    if (!this.calls.has(callSeq)) {
      this.fail(
        `the log of run ${this.runId} has ${describe(e.type, callName(e))} as durable call #${callSeq}, ` +
          "which the code no longer makes",
      );
    }
    return this.steps.get(callSeq);
  }

  private fail(detail: string): never {
    this.fatal ??= new NonDeterminismError(
      `${detail}. The workflow "${this.workflowName}" changed under a live run: durable calls (steps, sleeps, hooks, ` +
        "now/random/uuid) must be made in the same order on every execution. Keep the old code path for runs " +
        "started before the change, or give the new code a new workflow version.",
    );
    throw this.fatal;
  }
}

/** What an execution needs from the outside world (a clock, randomness), injected so tests control it. */
export interface ExecutionHost {
  now(): number;
  newHookId(): string;
  random(): number;
  randomUUID(): string;
  /** What the engine running the workflow offers its code; absent when nothing runs it (a bare replay). */
  services?: RunServices;
}

/**
 * The engine's side of the run context: per engine, never process-wide, so two latches in one
 * process keep their own settings (and a workflow from another copy of latch reaches them through
 * the execution it runs in).
 */
export interface RunServices {
  /** The base of the webhook URLs this engine gives out, such as "https://hooks.example.com". */
  publicUrl(): string;
  /** A run created a hook of a definition (defineHook): the engine's resumeHook checks payloads with its schema. */
  hookDefined(name: string, schema: StandardSchemaV1): void;
}

export type StepFn = (ctx: StepContext) => unknown;

export interface StepContext {
  runId: string;
  name: string;
  attempt: number;
  /** `runId:callSeq`, stable across attempts: pass it to external APIs that deduplicate. */
  idempotencyKey: string;
  /** Aborted when the attempt times out or the run is cancelled. */
  signal: AbortSignal;
}

export interface StepCallOptions {
  retries: number;
  backoff: { initialMs: number; factor: number; maxMs: number };
  timeoutMs?: number;
  hooks?: unknown;
}

export class StepCall {
  attempt = 0;
  state: "pending" | "running" | "backoff" | "done" = "pending";
  /** Its current attempt was started by this process (not merely found running in the log). */
  live = false;
  retryAt: number | undefined;
  lastError: SerializedError | undefined;
  readonly promise: Promise<unknown>;
  resolve!: (v: unknown) => void;
  reject!: (e: unknown) => void;

  constructor(
    readonly callSeq: number,
    readonly name: string,
    readonly fn: StepFn,
    readonly options: StepCallOptions,
    /** The step's arguments (defineStep), shown to interceptors. */
    readonly input?: unknown,
  ) {
    this.promise = new Promise((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
    // A step whose failure the code never awaits must not crash the process.
    this.promise.catch(() => {});
  }
}

export class SleepCall {
  done = false;
  readonly promise: Promise<void>;
  resolve!: () => void;
  constructor(
    readonly callSeq: number,
    readonly until: number,
  ) {
    this.promise = new Promise((res) => {
      this.resolve = res;
    });
  }
}

export interface HookCallOptions {
  token?: string;
  name?: string;
  kind: HookKind;
  timeoutMs?: number;
  schema?: StandardSchemaV1;
  jsonSchema?: Record<string, unknown>;
  metadata?: unknown;
  onCreated?: (token: string) => unknown;
}

/** Waits until the code has done all it can with what it was given (all microtasks have run). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Events that move the code forward or that the code itself made; the rest are bookkeeping. */
function drivesCode(e: LatchEvent): boolean {
  return !e.type.startsWith("run.");
}

function callName(e: LatchEvent): string | undefined {
  if ("name" in e) return e.name;
  if (e.type === "value.recorded") return e.kind;
  return undefined;
}

function describe(type: string, name: string | undefined): string {
  const kind = type.split(".")[0] === "value" ? "value" : type.split(".")[0];
  return name ? `${kind} "${name}"` : `a ${kind}`;
}
