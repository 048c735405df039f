import { type NewOutboxEntry, OUTBOX_ROW, type OutboxEntry } from "../store/records.js";
import type { LifecycleEvent, LifecycleHookName } from "./types.js";

export { OUTBOX_ROW, type OutboxRowKind } from "../store/records.js";

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
    // Written by hand to leave the in-memory handlers out without copying each delivery first.
    event: `[${deliveries.map((d) => `{"id":${JSON.stringify(d.id)},"handler":${JSON.stringify(d.handler)},"event":${JSON.stringify(d.event)}}`).join(",")}]`,
  };
}

/** Reads a row claimed from the outbox. */
export function readOutboxRow(entry: Pick<OutboxEntry, "handler" | "event">): OutboxRow {
  if (entry.handler === OUTBOX_ROW.expandCancelled) {
    return { kind: OUTBOX_ROW.expandCancelled, at: (JSON.parse(entry.event) as { at: number }).at };
  }
  return { kind: OUTBOX_ROW.batch, deliveries: JSON.parse(entry.event) as StoredDelivery[] };
}
