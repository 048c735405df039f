import { randomBytes } from "node:crypto";
import { monotonicFactory } from "ulid";

/**
 * Every id Latch makes comes from here: a type prefix and a time-ordered ULID, so ids sort by
 * creation time and say what they name (`run_01J…`, `hook_01J…`).
 */
const ulid = monotonicFactory();

export const newRunId = (): string => `run_${ulid()}`;
export const newHookId = (): string => `hook_${ulid()}`;
export const newWorkerId = (): string => `wkr_${ulid()}`;

/** An unguessable token (160 random bits, base64url) for capability URLs such as webhooks. */
export const newSecretToken = (): string => `whk_${randomBytes(20).toString("base64url")}`;

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

/** The run of a lifecycle handler given as a workflow, derived from its delivery: `run_<delivery>`. */
export const handlerRunId = (deliveryId: string): string =>
  `run_${deliveryId.slice(4).replace(/[^A-Za-z0-9_]/g, "_")}`;
