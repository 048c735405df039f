/** Small fixtures for the unit tests of src/runtime and src/replay. */
import { Execution } from "../../src/replay/execution.js";
import { HookState, type HookStateInit } from "../../src/replay/hook-state.js";
import type { Store } from "../../src/store/store.js";
import { openStore } from "../../src/stores/open.js";
import { VirtualClock } from "../../src/testing/virtual-clock.js";

/** Where the virtual clock of memoryStore() starts. */
export const T0 = Date.UTC(2030, 0, 1);

/** A fresh in-memory SQLite store (a real one) and a virtual clock at T0. */
export async function memoryStore(): Promise<{ store: Store; clock: VirtualClock }> {
  return { store: await openStore("sqlite::memory:"), clock: new VirtualClock(T0) };
}

/** An execution with a fixed host: time 0, hook ids `hook_N`, no randomness. */
export function testExecution(runId = "run_X"): Execution {
  return new Execution(runId, "wf", {
    now: () => 0,
    newHookId: () => "hook_N",
    random: () => 0,
    randomUUID: () => "u",
  });
}

/** A hook of `exec` with token `t_<hookId>`, as createHook would make it. */
export function testHook(exec: Execution, hookId: string, init: Partial<HookStateInit> = {}): HookState {
  return new HookState(exec, {
    callSeq: 1,
    hookId,
    token: `t_${hookId}`,
    kind: "hook",
    customToken: false,
    ...init,
  });
}
