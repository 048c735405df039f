import { describe, expect, it } from "vitest";
import { Execution } from "../replay/execution.js";
import { createHook } from "../workflow/hook.js";
import { endEvents, endOfCode } from "./run-end.js";

const host = { now: () => 0, newHookId: () => "hook_N", random: () => 0, randomUUID: () => "u" };

describe("how a run ends", () => {
  it("takes the code's result, or its error, and fails a result that cannot be stored", () => {
    expect(endOfCode({ ok: true, value: { n: 1 } })).toEqual({ status: "succeeded", output: '{"n":1}' });
    expect(endOfCode({ ok: true, value: undefined })).toEqual({ status: "succeeded", output: undefined });
    expect(endOfCode({ ok: false, error: new TypeError("x") })).toMatchObject({
      status: "failed",
      error: { name: "TypeError", message: "x" },
    });
    expect(endOfCode({ ok: true, value: () => 1 })).toMatchObject({
      status: "failed",
      error: { name: "SerializationError" },
    });
  });

  it("disposes the hooks still pending, then records the run's terminal event", async () => {
    const exec = new Execution("run_X", "wf", host);
    await exec.begin(
      async () => {
        createHook({ token: "a" });
        await new Promise(() => {});
      },
      [],
      [{ type: "run.started", deadline: 500, seq: 2 }],
    );
    expect(endEvents(exec, { status: "timed_out" }, 9)).toEqual([
      { type: "hook.disposed", hookId: "hook_N", token: "a", reason: "run_ended" },
      { type: "run.timed_out", deadline: 500 },
    ]);
    expect(endEvents(exec, { status: "cancelled" }, 9).at(-1)).toEqual({ type: "run.cancelled" });
  });
});
