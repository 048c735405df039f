import { describe, expect, it } from "vitest";
import { NonDeterminismError } from "../errors.js";
import { createHook } from "../workflow/hook.js";
import { sleep } from "../workflow/sleep.js";
import { step } from "../workflow/step.js";
import type { LatchEvent } from "./events.js";
import { Execution } from "./execution.js";

const host = { now: () => 1_000, newHookId: () => "hook_NEW", random: () => 0.5, randomUUID: () => "u" };
const log = (...events: LatchEvent[]) => events.map((e, i) => ({ ...e, seq: i + 2 }));

async function replay(fn: () => Promise<unknown>, events: ReturnType<typeof log>) {
  const ex = new Execution("run_X", "wf", host);
  await ex.begin(fn, [], events);
  return ex;
}

describe("replay is a pure function of (workflow, history)", () => {
  it("returns recorded step results without running the step, and continues live after the log", async () => {
    let ran = 0;
    const ex = await replay(
      async () => {
        const a = await step("a", () => {
          ran++;
          return 0;
        });
        return step("b", () => a + 1);
      },
      log(
        { type: "step.started", callSeq: 1, name: "a", attempt: 1 },
        { type: "step.completed", callSeq: 1, name: "a", attempt: 1, result: "41" },
      ),
    );
    expect(ran).toBe(0);
    const [b] = ex.takeStepTasks();
    expect(b?.name).toBe("b");
    expect(ex.takeCommands()).toEqual([{ type: "step.started", callSeq: 2, name: "b", attempt: 1 }]);
  });

  it("replays a Promise.race in the order the log recorded, not call order", async () => {
    const seen: string[] = [];
    await replay(
      async () => {
        const winner = await Promise.race([step("slow", () => "slow"), step("fast", () => "fast")]);
        seen.push(winner);
      },
      log(
        { type: "step.started", callSeq: 1, name: "slow", attempt: 1 },
        { type: "step.started", callSeq: 2, name: "fast", attempt: 1 },
        { type: "step.completed", callSeq: 2, name: "fast", attempt: 1, result: '"fast"' },
        { type: "step.completed", callSeq: 1, name: "slow", attempt: 1, result: '"slow"' },
      ),
    );
    expect(seen).toEqual(["fast"]);
  });

  it("keeps a recorded hook's id and token and hands it its recorded payloads in order", async () => {
    const got: unknown[] = [];
    const ex = await replay(
      async () => {
        const h = createHook<number>();
        got.push(h.token, await h, await h);
      },
      log(
        { type: "hook.created", callSeq: 1, hookId: "hook_OLD", token: "run_X:hook_OLD", kind: "hook" },
        {
          type: "hook.received",
          hookId: "hook_OLD",
          token: "run_X:hook_OLD",
          inboxId: 1,
          payload: "1",
          receivedAt: 1,
        },
        {
          type: "hook.received",
          hookId: "hook_OLD",
          token: "run_X:hook_OLD",
          inboxId: 2,
          payload: "2",
          receivedAt: 2,
        },
      ),
    );
    expect(got).toEqual(["run_X:hook_OLD", 1, 2]);
    expect(ex.outcome).toEqual({ ok: true, value: undefined });
  });

  it("flags a renamed step and a call the code no longer makes as NonDeterminismError", async () => {
    const renamed = await replay(
      async () => step("new_name", () => 1),
      log({ type: "step.started", callSeq: 1, name: "old_name", attempt: 1 }),
    );
    expect(NonDeterminismError.is(renamed.fatal)).toBe(true);
    const dropped = await replay(
      async () => 1,
      log({ type: "step.started", callSeq: 1, name: "gone", attempt: 1 }),
    );
    expect(dropped.fatal?.message).toContain('the log of run run_X has step "gone" as durable call #1');
  });
});

/** A Standard Schema for numbers that pass `ok`, multiplied by `factor` (a schema may transform). */
const numbers = (ok: (n: number) => boolean, factor: number) => ({
  "~standard": {
    version: 1 as const,
    vendor: "t",
    validate: (v: unknown) =>
      typeof v === "number" && ok(v) ? { value: v * factor } : { issues: [{ message: "no" }] },
  },
});

describe("what the runtime asks of a run's state", () => {
  it("learns its log position and deadline from the log; committed() moves the position", async () => {
    const ex = await replay(async () => new Promise(() => {}), log({ type: "run.started", deadline: 9_000 }));
    expect(ex.seq).toBe(2);
    expect(ex.deadline).toBe(9_000);
    expect(ex.nextWakeAt()).toBe(9_000);
    ex.committed(7);
    expect(ex.seq).toBe(7);
  });

  it("says which timers fell due: sleeps and hook timeouts as events, back-offs as new attempts", async () => {
    const ex = await replay(
      async () => {
        const h = createHook({ timeout: 500 });
        await Promise.all([sleep(300), step("s", () => 1), h]);
      },
      log(
        {
          type: "hook.created",
          callSeq: 1,
          hookId: "hook_H",
          token: "run_X:hook_H",
          kind: "hook",
          expiresAt: 1_500,
        },
        { type: "sleep.started", callSeq: 2, until: 1_300 },
        { type: "step.started", callSeq: 3, name: "s", attempt: 1 },
        {
          type: "step.retrying",
          callSeq: 3,
          name: "s",
          attempt: 1,
          error: { name: "Error", message: "x" },
          retryAt: 1_200,
        },
      ),
    );
    expect(ex.nextWakeAt()).toBe(1_200);
    expect(ex.dueTimers(1_100)).toEqual({ sleeps: [], expiries: [] });
    expect(ex.takeStepTasks()).toEqual([]);
    const due = ex.dueTimers(1_500);
    expect(due).toEqual({
      sleeps: [{ type: "sleep.completed", callSeq: 2 }],
      expiries: [{ type: "hook.expired", hookId: "hook_H", token: "run_X:hook_H" }],
    });
    expect(ex.takeCommands()).toEqual([{ type: "step.started", callSeq: 3, name: "s", attempt: 2 }]);
    expect(ex.takeStepTasks().map((t) => t.attempt)).toEqual([2]);
    expect(ex.stepsIn("running").map((s) => s.name)).toEqual(["s"]);
  });

  it("after a cold replay retries attempts a crash cut off, or fails them when no retries are left", async () => {
    const ex = await replay(
      async () => {
        await Promise.all([step("again", () => 1), step("spent", () => 1, { retries: 0 })]);
      },
      log(
        { type: "step.started", callSeq: 1, name: "again", attempt: 1 },
        { type: "step.started", callSeq: 2, name: "spent", attempt: 1 },
      ),
    );
    expect(ex.resumeCutOffSteps()).toEqual([
      {
        type: "step.failed",
        callSeq: 2,
        name: "spent",
        attempt: 1,
        error: {
          name: "Error",
          message: 'the worker stopped during attempt 1 of step "spent" and no retries are left',
        },
      },
    ]);
    expect(ex.takeCommands()).toEqual([{ type: "step.started", callSeq: 1, name: "again", attempt: 2 }]);
  });

  it("checks a payload against the hook's own schema before the code sees it", async () => {
    const positive = numbers((v) => v > 0, 10);
    const got: unknown[] = [];
    const ex = await replay(
      async () => {
        got.push(await createHook({ token: "tok", schema: positive }));
      },
      log({ type: "hook.created", callSeq: 1, hookId: "hook_H", token: "tok", kind: "hook" }),
    );
    const received = (inboxId: number, payload: string) =>
      ({ type: "hook.received", hookId: "hook_H", token: "tok", inboxId, payload, receivedAt: 1 }) as const;
    expect(await ex.checkPayload(received(1, "-1"))).toEqual([{ path: "", message: "no" }]);
    expect(await ex.checkPayload(received(2, "4"))).toBeUndefined();
    ex.apply(received(2, "4"));
    await new Promise((r) => setImmediate(r));
    expect(got).toEqual([40]); // the value the schema gave, validated once
  });

  it("replays a recorded payload through the same validation (a schema may transform it)", async () => {
    const doubled = numbers(() => true, 2);
    const got: unknown[] = [];
    await replay(
      async () => {
        const h = createHook({ token: "tok", schema: doubled });
        got.push(await h);
        got.push(await h.then(undefined, (err: Error) => err.name));
      },
      log(
        { type: "hook.created", callSeq: 1, hookId: "hook_H", token: "tok", kind: "hook" },
        { type: "hook.received", hookId: "hook_H", token: "tok", inboxId: 1, payload: "21", receivedAt: 1 },
        { type: "hook.received", hookId: "hook_H", token: "tok", inboxId: 2, payload: '"x"', receivedAt: 1 },
      ),
    );
    expect(got).toEqual([42, "PayloadValidationError"]);
  });
});
