import { describe, expect, it } from "vitest";
import { ExitError, exitCodeOf, InterruptedError, UsageError } from "./cli/exit-codes.js";
import { answerOf, EXIT } from "./error-answers.js";
import * as errors from "./errors.js";
import { HttpError, statusOf } from "./server/problem.js";

/**
 * Every public error class and how it is answered, as docs/http-api.md and docs/cli.md say. A new
 * error class fails the first test until it is given its row here (and in the docs).
 */
const EXPECTED: Record<string, [status: number, exitCode: number]> = {
  LatchError: [500, 1],
  InvalidArgumentError: [400, 2],
  InvalidDurationError: [400, 2],
  InvalidTokenError: [400, 2],
  SerializationError: [400, 2],
  NotImplementedError: [400, 2],
  UnknownWorkflowError: [422, 3],
  RunNotFoundError: [404, 3],
  HookNotFoundError: [404, 3],
  HookExpiredError: [410, 4],
  HookDisposedError: [410, 4],
  PayloadValidationError: [422, 5],
  MockPayloadError: [422, 5],
  HookConflictError: [409, 6],
  IdempotencyConflictError: [409, 6],
  StoreError: [503, 7],
  StoreUnavailableError: [503, 7],
  StoreConnectionError: [503, 7],
  StoreNotFoundError: [503, 7],
  NotALatchDatabaseError: [503, 7],
  DeliveryPendingError: [202, 9],
  ClosedError: [503, 1],
  NonDeterminismError: [500, 1],
  NotInWorkflowError: [500, 1],
  FatalError: [500, 1],
  RetryableError: [500, 1],
  StepTimeoutError: [500, 1],
  RunFailedError: [500, 1],
  RunCancelledError: [500, 1],
  RunTimedOutError: [500, 1],
};

const errorClasses = Object.entries(errors).filter(
  ([, v]) => typeof v === "function" && (v === errors.LatchError || v.prototype instanceof errors.LatchError),
);

/** An instance of the class, as the event log rebuilds it (every class, whatever its constructor takes). */
const instanceOf = (name: string) => errors.deserializeError({ name, message: "m" });

describe("the error table", () => {
  it("has a status and an exit code for every exported error class", () => {
    expect(errorClasses.length).toBeGreaterThan(25);
    for (const [name] of errorClasses) {
      expect(EXPECTED[name], `${name} needs a row`).toBeDefined();
      const answer = answerOf(instanceOf(name));
      expect([answer.status, answer.exitCode], name).toEqual(EXPECTED[name]);
    }
  });

  it("is what both surfaces answer: the HTTP status and the CLI's exit code", () => {
    for (const [name] of errorClasses) {
      const err = instanceOf(name);
      expect([statusOf(err), exitCodeOf(err)], name).toEqual(EXPECTED[name]);
    }
  });

  it("answers errors thrown here, from another copy (codes only) and anything else", () => {
    expect(answerOf(new errors.StoreNotFoundError("/x.db"))).toEqual({ status: 503, exitCode: EXIT.STORE });
    const foreign = Object.assign(new Error("x"), {
      [Symbol.for("latch.error.codes")]: ["HOOK_EXPIRED", "LATCH_ERROR"],
    });
    expect(answerOf(foreign)).toEqual({ status: 410, exitCode: EXIT.GONE });
    expect(answerOf(new TypeError("bug"))).toEqual({ status: 500, exitCode: EXIT.ERROR });
    expect(answerOf("thrown text")).toEqual({ status: 500, exitCode: EXIT.ERROR });
  });

  it("leaves each surface its own errors: a usage error, Ctrl-C and set exit codes; HTTP errors", () => {
    expect(exitCodeOf(new UsageError("--port", "is not a number", "Pass 8787."))).toBe(EXIT.USAGE);
    expect(exitCodeOf(new InterruptedError("cancelled"))).toBe(EXIT.INTERRUPTED);
    expect(exitCodeOf(new ExitError(EXIT.RUN_FAILED, "run failed"))).toBe(8);
    expect(statusOf(new HttpError(413, "PAYLOAD_TOO_LARGE", "too big"))).toBe(413);
  });
});
