import { describe, expect, it } from "vitest";
import { testExecution, testHook } from "../../test/support/runtime-fixtures.js";
import type { EventOf } from "../replay/events.js";
import type { HookState, HookStateInit } from "../replay/hook-state.js";
import { HookNotices } from "./hook-notices.js";
import type { Logger } from "./logger.js";

const exec = testExecution();
const hook = (hookId: string, init: Partial<HookStateInit> = {}) => testHook(exec, hookId, init);

function notices(onHookRegistered?: (h: HookState) => void) {
  const errors: string[] = [];
  const logger: Logger = { warn: () => {}, error: (m) => errors.push(m) };
  return { n: new HookNotices({ runId: "run_X", logger, onHookRegistered }), errors };
}

describe("hook notices", () => {
  it("calls onCreated once a registration is durable, and confirms it with hook.notified", async () => {
    const told: string[] = [];
    const { n } = notices();
    n.created([hook("hook_A", { onCreated: (t) => told.push(t) }), hook("hook_B")]);
    expect(n.size).toBe(1); // nothing to tell about a hook without onCreated
    const confirmed: EventOf<"hook.notified">[] = [];
    expect(await n.tell((e) => confirmed.push(e))).toBeUndefined();
    expect(told).toEqual(["t_hook_A"]);
    expect(confirmed).toEqual([{ type: "hook.notified", callSeq: 1, hookId: "hook_A" }]);
    expect(n.size).toBe(0);
  });

  it("logs an onCreated that throws (the hook is live regardless); skips refused hooks", async () => {
    const { n, errors } = notices();
    const told: string[] = [];
    const refused = hook("hook_C", { onCreated: () => told.push("C") });
    n.created([
      hook("hook_A", {
        onCreated: () => {
          throw new Error("boom");
        },
      }),
      refused,
      hook("hook_D", { onCreated: () => told.push("D") }),
    ]);
    refused.close("conflict", () => new Error("taken"));
    n.drop(["hook_D"]);
    const confirmed: string[] = [];
    await n.tell((e) => confirmed.push(e.hookId));
    expect(errors.join()).toMatch(/onCreated of hook t_hook_A threw/);
    expect(confirmed).toEqual(["hook_A"]);
    expect(told).toEqual([]);
  });

  it("tells onHookRegistered of every new hook, and stops at the first that throws", async () => {
    const seen: string[] = [];
    const { n } = notices((h) => {
      seen.push(h.hookId);
      if (h.hookId === "hook_A") throw new Error("bad mock");
    });
    n.created([hook("hook_A"), hook("hook_B")]);
    const failure = await n.tell(() => {});
    expect(failure?.error).toMatchObject({ message: "bad mock" });
    expect(seen).toEqual(["hook_A"]);
  });
});
