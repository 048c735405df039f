import type { NewOutboxEntry, OutboxEntry } from "../store/records.js";
import type { LifecycleEvent, LifecycleHookName } from "./types.js";

/**
 * What an outbox row carries, by its `handler` column. The runtime writes one `batch` row per
 * commit that causes deliveries (the deliveries, as JSON); a store that cancels a run no worker
 * holds writes one `expandCancelled` row (`{ at }`), which a process with the workflow's code
 * expands into the cancel's deliveries. Stores import these values; they never spell them.
 */
export const OUTBOX_ROW = { batch: "batch", expandCancelled: "expand:cancelled" } as const;
export type OutboxRowKind = (typeof OUTBOX_ROW)[keyof typeof OUTBOX_ROW];

/** A delivery as a batch row stores it (its handlers are code, found again when it is read). */
export interface StoredDelivery {
  id: string;
  handler: LifecycleHookName;
  event: LifecycleEvent;
}

export type OutboxRow =
  | { kind: typeof OUTBOX_ROW.batch; deliveries: StoredDelivery[] }
  | { kind: typeof OUTBOX_ROW.expandCancelled; at: number };

/** The one row a commit writes for its deliveries (one row per commit, not per delivery: fewer writes, same guarantee). */
export function batchRow(deliveries: readonly StoredDelivery[]): NewOutboxEntry {
  return {
    id: deliveries[0]!.id,
    handler: OUTBOX_ROW.batch,
    event: JSON.stringify(deliveries.map(({ id, handler, event }) => ({ id, handler, event }))),
  };
}

/** Reads a row claimed from the outbox. */
export function readOutboxRow(entry: Pick<OutboxEntry, "handler" | "event">): OutboxRow {
  if (entry.handler === OUTBOX_ROW.expandCancelled) {
    return { kind: OUTBOX_ROW.expandCancelled, at: (JSON.parse(entry.event) as { at: number }).at };
  }
  return { kind: OUTBOX_ROW.batch, deliveries: JSON.parse(entry.event) as StoredDelivery[] };
}
