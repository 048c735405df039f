import type { OutboxEntry } from "../store/records.js";
import { type Row, toOutbox } from "./rows.js";

/**
 * The lifecycle-hook outbox as both stores keep it: a row per delivery, written in the transaction
 * of the transition that causes it, leased to the committing worker first, removed when confirmed.
 */

/** How long the committing process has to confirm a delivery before others retry it, by default. */
export const OUTBOX_LEASE_MS = 30_000;

/** Claimed rows as entries in the order they were committed (created_at, then id). */
export function toOutboxEntries(rows: Row[]): OutboxEntry[] {
  return rows.map(toOutbox).sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
}
