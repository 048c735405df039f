import { randomBytes, randomUUID } from "node:crypto";
import { monotonicFactory } from "ulid";

/**
 * Every id and token Latch makes comes from here. Ids carry a type prefix and a time-ordered ULID,
 * so they sort by creation time and say what they name (`run_01J…`, `hook_01J…`); tokens that grant
 * something (a webhook URL, an API key) are random bits instead, unguessable and not time-ordered.
 */
const ulid = monotonicFactory();

export const newRunId = (): string => `run_${ulid()}`;
export const newHookId = (): string => `hook_${ulid()}`;
export const newWorkerId = (): string => `wkr_${ulid()}`;

/** One HTTP request received on a webhook URL (`WebhookRequest.id`); unique, never ordered. */
export const newWebhookRequestId = (): string => `req_${randomUUID().replaceAll("-", "")}`;

/** An unguessable token (160 random bits, base64url) for capability URLs such as webhooks. */
export const newSecretToken = (): string => `whk_${randomBytes(20).toString("base64url")}`;

/** An API key: 192 random bits, prefixed so a leaked key is recognisable in logs and secret scanners. */
export const newApiKey = (): string => `lk_${randomBytes(24).toString("base64url")}`;

/**
 * The run a workflow lifecycle handler starts for one delivery: derived from the delivery id
 * (`dlv_<run>_…`), so a redelivery finds the run it started instead of starting another. Stored ids
 * depend on it: it never changes.
 * @example handlerRunId("dlv_01J_7_0") // "run_01J_7_0"
 */
export const handlerRunId = (deliveryId: string): string =>
  `run_${deliveryId.slice("dlv_".length).replace(/[^A-Za-z0-9_]/g, "_")}`;
