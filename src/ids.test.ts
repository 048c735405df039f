import { expect, it } from "vitest";
import {
  cancelDeliveryId,
  deliveryId,
  expandedDeliveryId,
  handlerRunId,
  newApiKey,
  newHookId,
  newRunId,
  newSecretToken,
  newWebhookRequestId,
  newWorkerId,
} from "./ids.js";

it("prefixes each id with what it names, and ids made later sort later", () => {
  const runs = [newRunId(), newRunId(), newRunId()];
  expect(runs.every((id) => /^run_[0-9A-HJKMNP-TV-Z]{26}$/.test(id))).toBe(true);
  expect([...runs].sort()).toEqual(runs);
  expect(newHookId()).toMatch(/^hook_/);
  expect(newWorkerId()).toMatch(/^wkr_/);
  expect(newWebhookRequestId()).toMatch(/^req_[0-9a-f]{32}$/);
});

it("makes tokens of random bits: 160 for a webhook, 192 for an API key", () => {
  expect(newSecretToken()).toMatch(/^whk_[A-Za-z0-9_-]{27}$/);
  expect(newApiKey()).toMatch(/^lk_[A-Za-z0-9_-]{32}$/);
  expect(newSecretToken()).not.toBe(newSecretToken());
});

it("derives a handler run's id from its delivery, the same every time (stored ids depend on it)", () => {
  expect(handlerRunId("dlv_01J0ABC_7_0")).toBe("run_01J0ABC_7_0");
  expect(handlerRunId("dlv_01J0ABC_cancel")).toBe("run_01J0ABC_cancel");
  expect(handlerRunId("dlv_x:y-z")).toBe("run_x_y_z");
});

it("derives lifecycle delivery ids from the run and its log, so a redelivery has the same id", () => {
  const run = "run_01J00000000000000000000000";
  expect(deliveryId(run, 7, 1)).toBe("dlv_01J00000000000000000000000_7_1");
  expect(cancelDeliveryId(run)).toBe("dlv_01J00000000000000000000000_cancel");
  expect(expandedDeliveryId(cancelDeliveryId(run), 2)).toBe("dlv_01J00000000000000000000000_cancel_2");
  expect(handlerRunId(deliveryId(run, 7, 1))).toBe("run_01J00000000000000000000000_7_1");
});
