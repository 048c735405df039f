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

/*
 * Lifecycle delivery ids are derived, not drawn: a redelivery (after a crash) must carry the id of
 * the first delivery, so handlers can de-duplicate and a handler workflow's run is started once.
 * `<run>` below is the run id without its `run_` prefix.
 */

/**
 * The `k`-th delivery caused by the event at log position `seq` of a run: `dlv_<run>_<seq>_<k>`.
 * Stable and unique without randomness.
 */
export const deliveryId = (runId: string, seq: number, k: number): string =>
  `dlv_${runId.slice(4)}_${seq}_${k}`;

/**
 * The outbox row a store writes for a run it cancels itself (no worker holds it, so no workflow
 * code is at hand to list the deliveries): `dlv_<run>_cancel`. The PostgreSQL store builds the same
 * id in SQL.
 */
export const cancelDeliveryId = (runId: string): string => `dlv_${runId.slice(4)}_cancel`;

/** The `k`-th delivery a cancel row expands to, once a process with the code reads it: `<row id>_<k>`. */
export const expandedDeliveryId = (rowId: string, k: number): string => `${rowId}_${k}`;

/**
 * The run a workflow lifecycle handler starts for one delivery: derived from the delivery id
 * (`dlv_<run>_…`), so a redelivery finds the run it started instead of starting another. Stored ids
 * depend on it: it never changes.
 * @example handlerRunId("dlv_01J_7_0") // "run_01J_7_0"
 */
export const handlerRunId = (deliveryId: string): string =>
  `run_${deliveryId.slice("dlv_".length).replace(/[^A-Za-z0-9_]/g, "_")}`;
