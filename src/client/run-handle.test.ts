import { describe, expect, it } from "vitest";
import {
  RunCancelledError,
  RunFailedError,
  RunNotFoundError,
  RunTimedOutError,
  serializeError,
} from "../errors.js";
import type { RunStatus } from "../store/records.js";
import { RunHandle, type RunReader } from "./run-handle.js";
import type { RunInfo } from "./run-info.js";

const info = (status: RunStatus, extra: Partial<RunInfo> = {}): RunInfo => ({
  id: "run_1",
  workflow: "wf",
  status,
  input: [],
  createdAt: 0,
  updatedAt: 0,
  cancelRequested: false,
  ...extra,
});

const reader = (run: RunInfo | undefined): RunReader => ({
  getRun: async () => run,
  waitForRun: async () => run!,
  cancel: async () => run!,
  events: async () => [],
});

const settled = (p: Promise<unknown>) =>
  p.then(
    (value) => ({ value }),
    (error) => ({ error }),
  );

describe("RunHandle", () => {
  it("gives the output of a run that succeeded", async () => {
    expect(await new RunHandle(reader(info("succeeded", { output: { ok: 1 } })), "run_1").result()).toEqual({
      ok: 1,
    });
  });

  it("turns every other end into its typed error, the workflow's error as the cause", async () => {
    const cause = serializeError(new TypeError("boom"));
    const failed = (await settled(
      new RunHandle(reader(info("failed", { error: cause })), "run_1").result(),
    )) as {
      error: RunFailedError;
    };
    expect(RunFailedError.is(failed.error)).toBe(true);
    expect((failed.error.cause as Error).message).toBe("boom");
    const cancelled = await settled(new RunHandle(reader(info("cancelled")), "run_1").result());
    expect(RunCancelledError.is((cancelled as { error: unknown }).error)).toBe(true);
    const timedOut = await settled(new RunHandle(reader(info("timed_out")), "run_1").result());
    expect(RunTimedOutError.is((timedOut as { error: unknown }).error)).toBe(true);
  });

  it("asks the status afresh, and says when the run is gone", async () => {
    expect(await new RunHandle(reader(info("suspended")), "run_1").status()).toBe("suspended");
    const gone = await settled(new RunHandle(reader(undefined), "run_9").status());
    expect(RunNotFoundError.is((gone as { error: unknown }).error)).toBe(true);
  });
});
