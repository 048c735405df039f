import type { OutboxEntry } from "../store/records.js";
import { type Row, toOutbox } from "./rows.js";

/**
 * The lifecycle-hook outbox as both stores keep it: a row per delivery, written in the transaction
 * of the transition that causes it, leased to the committing worker first, removed when confirmed.
 */

/** How long the committing process has to confirm a delivery before others retry it, by default. */
export const OUTBOX_LEASE_MS = 30_000;

/**
 * The handler of the one delivery a cancel made without the workflow's code leaves: a worker that
 * has the code expands it into the run's own lifecycle hooks. Its twin is the lifecycle's
 * `OUTBOX_ROW.expandCancelled` (src/lifecycle/outbox-row.ts, from the runtime's reshape), which
 * reads it; the PostgreSQL cancel_run writes this value (sql/runs.ts).
 */
export const EXPAND_CANCELLED = "expand:cancelled";

/**
 * The id of that delivery: `dlv_<the run id's ULID>_cancel`, in the format of every delivery id
 * (`dlv_<ULID>_<seq>_<k>`). Its twin is `cancelDeliveryId` of src/ids.ts (from the runtime's
 * reshape); the PostgreSQL cancel_run builds the same in SQL (sql/runs.ts).
 */
export function cancelDeliveryId(runId: string): string {
  return `dlv_${runId.slice(4)}_cancel`;
}

/** Claimed rows as entries in the order they were committed (created_at, then id). */
export function toOutboxEntries(rows: Row[]): OutboxEntry[] {
  return rows.map(toOutbox).sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
}
