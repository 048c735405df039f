import { describe, expect, it } from "vitest";
import {
  cancelDeliveryId,
  deliveryId,
  expandedDeliveryId,
  handlerRunId,
  newHookId,
  newRunId,
} from "./ids.js";

describe("ids", () => {
  it("are prefixed and sort by creation", () => {
    const [a, b] = [newRunId(), newRunId()];
    expect(a).toMatch(/^run_[0-9A-Z]{26}$/);
    expect(newHookId()).toMatch(/^hook_[0-9A-Z]{26}$/);
    expect(a < b).toBe(true);
  });

  it("derive lifecycle delivery ids from the run and the log, so a redelivery has the same id", () => {
    const run = "run_01J00000000000000000000000";
    expect(deliveryId(run, 7, 1)).toBe("dlv_01J00000000000000000000000_7_1");
    expect(cancelDeliveryId(run)).toBe("dlv_01J00000000000000000000000_cancel");
    expect(expandedDeliveryId(cancelDeliveryId(run), 2)).toBe("dlv_01J00000000000000000000000_cancel_2");
    expect(handlerRunId(deliveryId(run, 7, 1))).toBe("run_01J00000000000000000000000_7_1");
    expect(handlerRunId("dlv_weird-id.x")).toBe("run_weird_id_x");
  });
});
