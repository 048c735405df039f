import { describe, expect, it } from "vitest";
import { NonDeterminismError } from "../errors.js";
import { createHook } from "../workflow/hook.js";
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
