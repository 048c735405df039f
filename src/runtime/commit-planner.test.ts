import { describe, expect, it } from "vitest";
import type { PreparedDelivery } from "../lifecycle/deliveries.js";
import { OUTBOX_ROW, readOutboxRow } from "../lifecycle/outbox-row.js";
import type { LatchEvent } from "../replay/events.js";
import { CommitPlanner } from "./commit-planner.js";

const RUN = "run_01J0000000000000000000000A";
const issues = [{ path: "x", message: "bad" }];

/** A planner whose run has a lifecycle hook on run.started and run.suspended only. */
function planner() {
  const seen: [string, number][] = [];
  const p = new CommitPlanner({
    runId: RUN,
    owner: "wkr_1",
    leaseMs: 1234,
    deliveriesOf: (e, seq): PreparedDelivery[] => {
      seen.push([e.type, seq]);
      if (e.type !== "run.started" && e.type !== "run.suspended") return [];
      const handler = e.type === "run.started" ? "onStart" : "onSuspend";
      const id = `dlv_${seq}_0`;
      return [
        {
          id,
          handler,
          event: { id, hook: handler, scope: "run", runId: RUN, workflow: "wf", phase: "x", at: 5 },
        },
      ];
    },
  });
  return { p, seen };
}

describe("the commit planner", () => {
  it("turns buffered events into one commit: registrations, closes and inbox rows in event order", () => {
    const { p, seen } = planner();
    const events: LatchEvent[] = [
      { type: "run.started" },
      { type: "hook.created", callSeq: 1, hookId: "hook_A", token: `${RUN}:hook_A`, kind: "hook", name: "a" },
      { type: "hook.created", callSeq: 2, hookId: "hook_B", token: "custom", kind: "webhook", expiresAt: 9 },
      { type: "hook.created", callSeq: 3, hookId: "hook_C", token: "taken", kind: "hook", conflict: true },
      { type: "hook.received", hookId: "hook_A", token: "t", inboxId: 7, receivedAt: 1 },
      { type: "hook.rejected", hookId: "hook_A", token: "t", inboxId: 8, receivedAt: 1, issues },
      { type: "hook.disposed", hookId: "hook_A", token: "t", callSeq: 4, reason: "disposed" },
      { type: "hook.expired", hookId: "hook_B", token: "custom" },
      { type: "hook.disposed", hookId: "hook_D", token: "d", reason: "run_ended" },
    ];
    for (const e of events) p.record(e, 3);
    // Each event's deliveries are asked for with its own log position.
    expect(seen.map(([, seq]) => seq)).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const commit = p.plan(3, 100);
    expect(commit).toMatchObject({
      runId: RUN,
      owner: "wkr_1",
      expectedSeq: 3,
      now: 100,
      outboxLeaseMs: 1234,
      events,
      consumeInbox: [7],
      rejectInbox: [{ id: 8, issues }],
      closeHooks: [
        { hookId: "hook_A", status: "disposed" },
        { hookId: "hook_B", status: "expired" },
      ],
    });
    // A refused token (conflict) is not registered again; only custom tokens adopt early payloads.
    expect(commit.registerHooks).toEqual([
      { hookId: "hook_A", token: `${RUN}:hook_A`, name: "a", kind: "hook", adoptEarly: false },
      { hookId: "hook_B", token: "custom", kind: "webhook", expiresAt: 9, adoptEarly: true },
    ]);
    expect(commit.outbox).toHaveLength(1);
    expect(commit.outbox![0]).toMatchObject({ id: "dlv_4_0", handler: OUTBOX_ROW.batch });
    expect(readOutboxRow(commit.outbox![0]!)).toMatchObject({
      kind: OUTBOX_ROW.batch,
      deliveries: [{ id: "dlv_4_0", handler: "onStart", event: { hook: "onStart" } }],
    });
  });

  it("writes no outbox row and no rejections when there are none, and adds the run's end", () => {
    const { p } = planner();
    p.record({ type: "step.started", callSeq: 1, name: "s", attempt: 1 }, 1);
    const commit = p.plan(1, 0, {
      status: "failed",
      error: { name: "E", message: "m" },
      closeAllHooks: true,
    });
    expect(commit.outbox).toEqual([]);
    expect(commit).not.toHaveProperty("rejectInbox");
    expect(commit).toMatchObject({ status: "failed", closeAllHooks: true, error: { message: "m" } });
  });

  it("starts afresh once a commit is durable, handing over its deliveries", () => {
    const { p } = planner();
    p.record({ type: "run.started" }, 1);
    expect(p.size).toBe(1);
    expect(p.committed().map((d) => d.id)).toEqual(["dlv_2_0"]);
    expect(p.size).toBe(0);
    expect(p.plan(2, 0)).toMatchObject({ events: [], outbox: [] });
  });

  it("after a refused token drops a trailing run.suspended and the deliveries it caused", () => {
    const { p } = planner();
    p.record({ type: "run.started" }, 1);
    p.record({ type: "hook.created", callSeq: 1, hookId: "hook_A", token: "x", kind: "hook" }, 1);
    p.record({ type: "run.suspended" }, 1);
    p.refused();
    const commit = p.plan(1, 0);
    expect(commit.events.map((e) => e.type)).toEqual(["run.started", "hook.created"]);
    expect(readOutboxRow(commit.outbox![0]!)).toMatchObject({ deliveries: [{ handler: "onStart" }] });
    p.refused(); // nothing trailing to drop
    expect(p.size).toBe(2);
  });

  it("says a buffer may wait only when every event in it may (not a step's outcome or a registration)", () => {
    const { p } = planner();
    p.record({ type: "run.resumed", reason: "payload" }, 1);
    p.record({ type: "step.started", callSeq: 1, name: "s", attempt: 1 }, 1);
    p.record({ type: "hook.received", hookId: "h", token: "t", inboxId: 1, receivedAt: 1 }, 1);
    expect(p.holdable).toBe(true);
    p.record({ type: "step.completed", callSeq: 1, name: "s", attempt: 1, result: "1" }, 1);
    expect(p.holdable).toBe(false);
  });
});
