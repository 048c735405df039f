import { describe, expect, it } from "vitest";
import { testExecution, testHook } from "../../test/support/runtime-fixtures.js";
import { HookConflictError } from "../errors.js";
import type { EventOf } from "./events.js";
import type { HookStateInit } from "./hook-state.js";
import { RunHooks } from "./run-hooks.js";

const exec = testExecution();
const hook = (hookId: string, init: Partial<HookStateInit> = {}) => testHook(exec, hookId, init);

describe("the hooks of a run", () => {
  it("makes a new hook's hook.created, and marks a refused token on that very event", async () => {
    const hooks = new RunHooks();
    const a = hook("hook_A", { expiresAt: 50, name: "a" });
    const created = hooks.open(a, undefined)!;
    expect(created).toMatchObject({
      type: "hook.created",
      hookId: "hook_A",
      token: "t_hook_A",
      expiresAt: 50,
    });
    expect(hooks.takeNew()).toEqual([a]);
    hooks.markConflict("hook_A");
    expect(created.conflict).toBe(true);
    expect(a.status).toBe("conflict");
    await expect(a.next()).rejects.toBeInstanceOf(HookConflictError);
  });

  it("leaves committed events alone, and reopens a logged hook as the log says", () => {
    const hooks = new RunHooks();
    const created = hooks.open(hook("hook_A"), undefined)!;
    hooks.committed();
    hooks.markConflict("hook_A");
    expect(created.conflict).toBeUndefined();
    const logged: EventOf<"hook.created"> = { ...created, hookId: "hook_B", conflict: true };
    const b = hook("hook_B", { onCreated: () => {} });
    expect(hooks.open(b, logged)).toBeUndefined();
    expect(b.status).toBe("conflict");
    expect(b.notified).toBe(false);
    expect(hooks.takeNew()).toEqual([]); // only hooks new in this execution are registered
  });

  it("answers what expires, what ends with the run, what still needs its onCreated", () => {
    const hooks = new RunHooks();
    hooks.open(hook("hook_A", { expiresAt: 100, onCreated: () => {} }), undefined);
    hooks.open(hook("hook_B", { expiresAt: 50 }), undefined);
    hooks.open(hook("hook_C"), undefined);
    expect(hooks.nextExpiry()).toBe(50);
    expect(hooks.expiring(60)).toEqual([{ type: "hook.expired", hookId: "hook_B", token: "t_hook_B" }]);
    hooks.apply({ type: "hook.expired", hookId: "hook_B", token: "t_hook_B" });
    expect(hooks.nextExpiry()).toBe(100);
    expect(hooks.unnotified().map((h) => h.hookId)).toEqual(["hook_A"]);
    hooks.apply({ type: "hook.notified", callSeq: 1, hookId: "hook_A" });
    expect(hooks.unnotified()).toEqual([]);
    expect(hooks.disposalsAtEnd().map((e) => [e.hookId, e.reason])).toEqual([
      ["hook_A", "run_ended"],
      ["hook_C", "run_ended"],
    ]);
  });
});
