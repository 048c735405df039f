import { LatchError, quoteInput } from "./base.js";

/** The workflow code no longer makes the durable calls recorded in the run's event log. */
export class NonDeterminismError extends LatchError {
  static override readonly code: string = "NON_DETERMINISM";
}

/** A durable function (step, sleep, createHook, now…) was called outside a running workflow. */
export class NotInWorkflowError extends LatchError {
  static override readonly code: string = "NOT_IN_WORKFLOW";
  constructor(what: string) {
    super(
      `${what}() was called outside a workflow run. Call it inside a function passed to defineWorkflow(), ` +
        "and not inside a step (a step is one unit of side effects; start another step from the workflow instead).",
    );
  }
}

/** Thrown from a step: do not retry, fail the step now. */
export class FatalError extends LatchError {
  static override readonly code: string = "FATAL";
}

/** Thrown from a step: retry, optionally after `retryAfter` (a duration or a Date). */
export class RetryableError extends LatchError {
  static override readonly code: string = "RETRYABLE";
  readonly retryAfter?: number | string | Date;
  constructor(message: string, options?: { retryAfter?: number | string | Date; cause?: unknown }) {
    super(message, options);
    this.retryAfter = options?.retryAfter;
  }
}

/** A step attempt ran past its `timeout`. */
export class StepTimeoutError extends LatchError {
  static override readonly code: string = "STEP_TIMEOUT";
}

/** No run has this id. */
export class RunNotFoundError extends LatchError {
  static override readonly code: string = "RUN_NOT_FOUND";
  constructor(readonly runId: string) {
    super(`runId: no run has the id ${quoteInput(runId)}. List runs with \`latch runs list\`.`);
  }
}

/** `RunHandle.result()` of a run that failed; the workflow's error is the `cause`. */
export class RunFailedError extends LatchError {
  static override readonly code: string = "RUN_FAILED";
  constructor(
    readonly runId: string,
    cause: unknown,
  ) {
    super(
      `run ${runId} failed: ${(cause as Error)?.message ?? String(cause)}. See its events with \`latch runs logs ${runId}\`.`,
      { cause },
    );
  }
}

/** `RunHandle.result()` of a run that was cancelled. */
export class RunCancelledError extends LatchError {
  static override readonly code: string = "RUN_CANCELLED";
  constructor(readonly runId: string) {
    super(`run ${runId} was cancelled.`);
  }
}

/** `RunHandle.result()` of a run that hit its workflow timeout. */
export class RunTimedOutError extends LatchError {
  static override readonly code: string = "RUN_TIMED_OUT";
  constructor(readonly runId: string) {
    super(`run ${runId} timed out (its workflow's timeout passed before it finished).`);
  }
}
