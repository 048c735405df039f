import { deserializeError, type SerializedError } from "../errors.js";
import type { StandardSchemaV1 } from "../schema/standard.js";
import type { EventOf, HookKind } from "./events.js";
import { decodeValue } from "./values.js";

/**
 * The durable calls a workflow body makes (steps, sleeps, hooks) as an execution tracks them: what
 * was asked, and the promise the code awaits until the log (or the live run) settles it.
 */

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
  /** The step's lifecycle hooks (its `hooks` option), read by lifecycle/ only. */
  lifecycle?: unknown;
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

  /** Starts attempt `attempt` in this process; the event to record. */
  startAttempt(attempt: number): EventOf<"step.started"> {
    this.attempt = attempt;
    this.state = "running";
    this.live = true;
    this.retryAt = undefined;
    return { type: "step.started", callSeq: this.callSeq, name: this.name, attempt };
  }

  /** Its attempt was cut off by a crash and no retries are left: the failure to record. */
  cutOffFailure(): EventOf<"step.failed"> {
    const message = `the worker stopped during attempt ${this.attempt} of step "${this.name}" and no retries are left`;
    return {
      type: "step.failed",
      callSeq: this.callSeq,
      name: this.name,
      attempt: this.attempt,
      error: { name: "Error", message },
    };
  }

  /** Settles the call from its recorded event (a replay, or a live outcome being applied). */
  apply(e: EventOf<"step.started" | "step.retrying" | "step.completed" | "step.failed">): void {
    if (e.type === "step.started") {
      this.attempt = e.attempt;
      this.state = "running";
    } else if (e.type === "step.retrying") {
      this.state = "backoff";
      this.retryAt = e.retryAt;
      this.lastError = e.error;
    } else if (this.state !== "done") {
      this.state = "done";
      if (e.type === "step.completed") this.resolve(decodeValue(e.result));
      else this.reject(deserializeError(e.error));
    }
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

/** The earlier of two times, either of which may be unset. */
export function earliest(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined || a <= b ? a : b;
}
