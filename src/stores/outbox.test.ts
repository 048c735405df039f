import { expect, it } from "vitest";
import { toOutboxEntries } from "./outbox.js";

it("orders claimed deliveries as they were committed: time, then id", () => {
  const row = (id: string, created_at: number | string) => ({
    id,
    run_id: "run_1",
    workflow: "wf",
    handler: "onStart",
    event: "{}",
    created_at,
    attempts: 1,
  });
  const entries = toOutboxEntries([row("dlv_b", 2), row("dlv_c", "1"), row("dlv_a", 2)]);
  expect(entries.map((e) => [e.id, e.createdAt])).toEqual([
    ["dlv_c", 1],
    ["dlv_a", 2],
    ["dlv_b", 2],
  ]);
});
