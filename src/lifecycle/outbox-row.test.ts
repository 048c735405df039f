import { describe, expect, it } from "vitest";
import { batchRow, OUTBOX_ROW, readOutboxRow, type StoredDelivery } from "./outbox-row.js";

const delivery = (id: string): StoredDelivery & { handlers: never[] } => ({
  id,
  handler: "onStart",
  event: { id, hook: "onStart", scope: "run", runId: "run_A", workflow: "wf", phase: "running", at: 1 },
  handlers: [],
});

describe("outbox rows", () => {
  it("stores a commit's deliveries as one batch row named by the first, without their handlers", () => {
    const row = batchRow([delivery("dlv_A_2_0"), delivery("dlv_A_3_0")]);
    expect(row).toMatchObject({ id: "dlv_A_2_0", handler: OUTBOX_ROW.batch });
    expect(row.event).not.toContain("handlers");
    expect(readOutboxRow(row)).toEqual({
      kind: "batch",
      deliveries: [delivery("dlv_A_2_0"), delivery("dlv_A_3_0")].map(({ handlers: _, ...d }) => d),
    });
  });

  it("reads the row a store writes for a cancel it made itself", () => {
    expect(readOutboxRow({ handler: "expand:cancelled", event: '{"at":5}' })).toEqual({
      kind: OUTBOX_ROW.expandCancelled,
      at: 5,
    });
  });
});
