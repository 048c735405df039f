import type { Clock } from "../clock.js";
import {
  FatalError,
  RetryableError,
  SerializationError,
  StepTimeoutError,
  serializeError,
} from "../errors.js";
import type { InterceptorContext, StepResult } from "../interceptors/types.js";
import type { StepCall } from "../replay/calls.js";
import { parseDuration } from "../replay/duration.js";
import type { LatchEvent } from "../replay/events.js";
import type { Execution } from "../replay/execution.js";
import { runInScope } from "../replay/scope.js";
import { encodeValue } from "../replay/values.js";

/** The composed interceptor chain around one step attempt. */
export type Intercept = (
  ctx: InterceptorContext,
  input: unknown,
  step: () => Promise<StepResult>,
) => Promise<{ result: StepResult; ran: boolean }>;

export type StepOutcome = Extract<LatchEvent, { type: "step.completed" | "step.failed" | "step.retrying" }>;

/**
 * Runs one attempt of a step and turns what happened into the event to record: completed (with the
 * result), retrying (with when), or failed (FatalError, attempts used up, or a result that cannot
 * be stored).
 */
export async function runStepAttempt(
  execution: Execution,
  call: StepCall,
  clock: Clock,
  runSignal: AbortSignal,
  intercept: Intercept,
): Promise<StepOutcome> {
  const { callSeq, name, attempt } = call;
  // Most steps never look at their signal: make the controller (and the run-abort listener) only
  // when one does, or when a timeout needs to abort it.
  let controller: AbortController | undefined;
  const onRunAbort = () => controller?.abort(runSignal.reason);
  const signalOf = (): AbortSignal => {
    if (!controller) {
      controller = new AbortController();
      if (runSignal.aborted) controller.abort(runSignal.reason);
      else runSignal.addEventListener("abort", onRunAbort, { once: true });
    }
    return controller.signal;
  };
  const step = { name, callSeq, attempt, idempotencyKey: `${execution.runId}:${callSeq}` };
  let cancelTimer: (() => void) | undefined;

  const body = (): Promise<unknown> => {
    const scope = {
      kind: "step" as const,
      execution,
      step,
      get signal() {
        return signalOf();
      },
    };
    const ctx = {
      runId: execution.runId,
      name,
      attempt,
      idempotencyKey: step.idempotencyKey,
      get signal() {
        return signalOf();
      },
    };
    const running = runInScope(scope, () => Promise.resolve().then(() => call.fn(ctx)));
    const timeoutMs = call.options.timeoutMs;
    if (timeoutMs === undefined) return running;
    return Promise.race([
      running,
      new Promise<never>((_, reject) => {
        cancelTimer = clock.setTimer(clock.now() + timeoutMs, () => {
          const err = new StepTimeoutError(
            `step "${name}" attempt ${attempt} ran longer than its timeout of ${timeoutMs} ms`,
          );
          signalOf();
          controller!.abort(err);
          reject(err);
        });
      }),
    ]);
  };
  const run = async (): Promise<StepResult> => {
    try {
      return { status: "succeeded", output: await body() };
    } catch (error) {
      return { status: "failed", error };
    }
  };

  try {
    const { result, ran } = await intercept(
      {
        runId: execution.runId,
        workflow: execution.workflowName,
        step: name,
        callSeq,
        attempt,
        idempotencyKey: step.idempotencyKey,
        input: call.input,
        state: {},
      },
      call.input,
      run,
    );
    if (result.status === "failed") return failureOutcome(call, result.error, clock.now());
    const encoded = encodeValue(result.output, `step "${name}" result`);
    return ran
      ? { type: "step.completed", callSeq, name, attempt, result: encoded }
      : { type: "step.completed", callSeq, name, attempt, result: encoded, skipped: true };
  } catch (err) {
    return failureOutcome(call, err, clock.now());
  } finally {
    cancelTimer?.();
    if (controller) runSignal.removeEventListener("abort", onRunAbort);
  }
}

export function failureOutcome(call: StepCall, err: unknown, now: number): StepOutcome {
  const { callSeq, name, attempt } = call;
  const error = serializeError(err);
  const fatal = FatalError.is(err) || SerializationError.is(err);
  if (fatal || attempt > call.options.retries) {
    return { type: "step.failed", callSeq, name, attempt, error };
  }
  return { type: "step.retrying", callSeq, name, attempt, error, retryAt: now + retryDelay(call, err, now) };
}

function retryDelay(call: StepCall, err: unknown, now: number): number {
  if (RetryableError.is(err) && err.retryAfter !== undefined) {
    const after = err.retryAfter;
    if (after instanceof Date) return Math.max(0, after.getTime() - now);
    try {
      return parseDuration(after, "retryAfter");
    } catch {
      // A malformed retryAfter falls back to the step's back-off rather than failing the step.
    }
  }
  const { initialMs, factor, maxMs } = call.options.backoff;
  return Math.min(maxMs, initialMs * factor ** (call.attempt - 1));
}

/**
 * The step attempts a run has running. Each outcome is handed on unless it came too late: the run
 * stopped or ended, or the attempt was settled or superseded meanwhile.
 */
export class RunningSteps {
  private readonly running = new Set<StepCall>();
  /** The run's signal, made with the first attempt: a run ending with no step running needs none. */
  private abort: AbortController | undefined;
  private stopped: Error | undefined;

  constructor(
    private readonly exec: Execution,
    private readonly clock: Clock,
    private readonly intercept: Intercept,
    private readonly onOutcome: (outcome: StepOutcome) => void,
  ) {}

  get size(): number {
    return this.running.size;
  }

  start(call: StepCall): void {
    this.running.add(call);
    if (!this.abort) {
      this.abort = new AbortController();
      if (this.stopped) this.abort.abort(this.stopped);
    }
    void runStepAttempt(this.exec, call, this.clock, this.abort.signal, this.intercept).then((outcome) => {
      this.running.delete(call);
      if (this.stopped || call.state !== "running" || call.attempt !== outcome.attempt) return;
      this.onOutcome(outcome);
    });
  }

  /** Aborts the signal of every attempt still running: the run stopped or ended. */
  abortAll(reason: string): void {
    if (this.stopped) return;
    // Only a running attempt listens: a run that ends between steps is spared an Error (a stack trace).
    this.stopped = this.running.size > 0 ? new Error(reason) : STOPPED;
    if (this.running.size > 0) this.abort?.abort(this.stopped);
  }
}

const STOPPED = new Error("the run stopped");
