import { describe, expect, it, vi } from "vitest";
import type { Store } from "../store/store.js";
import type { PreparedDelivery } from "./deliveries.js";
import { LifecycleDispatcher } from "./dispatcher.js";
import type { LifecycleEvent } from "./types.js";

function dispatcher(ackOutbox = vi.fn(async () => {})) {
  const report = vi.fn();
  const d = new LifecycleDispatcher({
    store: { ackOutbox } as unknown as Store,
    owner: "wkr_A",
    now: () => 1,
    warn: () => {},
    workflows: new Map(),
    report,
    replay: async () => {
      throw new Error("not replayed here");
    },
    onRunCreated: () => {},
    leaseMs: 1_000,
    handlerTimeoutMs: 1_000,
  });
  return { d, report, ackOutbox };
}

const delivery = (id: string, handlers: PreparedDelivery["handlers"]): PreparedDelivery => {
  const event: LifecycleEvent = {
    id,
    hook: "onStart",
    scope: "run",
    runId: "run_A",
    workflow: "wf",
    phase: "running",
    at: 1,
  };
  return { id, handler: "onStart", event, handlers };
};

describe("LifecycleDispatcher.dispatch", () => {
  it("runs plain and asynchronous handlers in order, each failure reported, then confirms the row once", async () => {
    const seen: string[] = [];
    const { d, report, ackOutbox } = dispatcher();
    await d.dispatch("run_A", "dlv_A_1_0", [
      delivery("dlv_A_1_0", [
        () => seen.push("a"),
        async () => {
          await new Promise((r) => setTimeout(r, 5));
          seen.push("b");
        },
        () => {
          throw new Error("c fails");
        },
        async () => {
          throw new Error("d rejects");
        },
        () => seen.push("e"),
      ]),
      delivery("dlv_A_1_1", [() => seen.push("f")]),
    ]);
    await d.drained();
    expect(seen).toEqual(["a", "b", "e", "f"]);
    expect(report.mock.calls.map(([err]) => (err as Error).message)).toEqual(["c fails", "d rejects"]);
    expect(ackOutbox).toHaveBeenCalledExactlyOnceWith(["dlv_A_1_0"]);
  });

  it("keeps a run's deliveries in commit order while an earlier one waits on a handler", async () => {
    const seen: string[] = [];
    const { d } = dispatcher();
    const slow = async () => {
      await new Promise((r) => setTimeout(r, 10));
      seen.push("first");
    };
    void d.dispatch("run_A", "dlv_A_1_0", [delivery("dlv_A_1_0", [slow])]);
    void d.dispatch("run_A", "dlv_A_2_0", [delivery("dlv_A_2_0", [() => seen.push("second")])]);
    await d.drained();
    expect(seen).toEqual(["first", "second"]);
  });
});
