import { cancelDeliveryId } from "../../ids.js";
import { type CancelOutcome, isTerminal, OUTBOX_ROW } from "../../store/records.js";
import { type Row, toRun } from "../rows.js";
import type { SqliteConnection } from "./connection.js";
import { insertEvents } from "./runs.js";

/**
 * Cancels a run: at once when no live lease holds it (its hooks disposed, run.cancelled appended,
 * one delivery left for its lifecycle hooks), else by flagging it for the worker that holds it.
 */
export function cancelRun(c: SqliteConnection, runId: string, now: number): Promise<CancelOutcome> {
  return c.write((): CancelOutcome => {
    const row = c.stmt("SELECT * FROM runs WHERE id = ?").get(runId) as Row | undefined;
    if (!row) return { status: "not_found" };
    if (isTerminal(row.status)) return { status: "already_finished", run: toRun(row) };
    if (row.owner !== null && row.lease_until >= now) {
      c.stmt("UPDATE runs SET cancel_requested = 1, wake_at = ?, updated_at = ? WHERE id = ?").run(
        now,
        now,
        runId,
      );
      return {
        status: "requested",
        run: { ...toRun(row), cancelRequested: true, wakeAt: now, updatedAt: now },
      };
    }
    const hooks = c
      .stmt("SELECT id, token FROM hooks WHERE run_id = ? AND status = 'pending'")
      .all(runId) as Row[];
    const seq = insertEvents(
      c,
      runId,
      row.seq,
      [
        ...hooks.map((h) => ({
          type: "hook.disposed" as const,
          hookId: h.id,
          token: h.token,
          reason: "run_ended" as const,
        })),
        { type: "run.cancelled" as const },
      ],
      now,
    );
    // Lifecycle hooks of a cancel made without the workflow's code: a worker that has it expands this.
    c.stmt(
      `INSERT INTO outbox (id, run_id, workflow, handler, event, created_at, owner, lease_until)
       VALUES (?, ?, ?, ?, ?, ?, NULL, 0)`,
    ).run(
      cancelDeliveryId(runId),
      runId,
      row.workflow,
      OUTBOX_ROW.expandCancelled,
      JSON.stringify({ at: now }),
      now,
    );
    c.stmt("UPDATE hooks SET status = 'disposed', closed_at = ? WHERE run_id = ? AND status = 'pending'").run(
      now,
      runId,
    );
    const updated = c
      .stmt(
        `UPDATE runs SET status = 'cancelled', seq = ?, cancel_requested = 1, owner = NULL, lease_until = NULL,
           wake_at = NULL, updated_at = ?, finished_at = ? WHERE id = ? RETURNING *`,
      )
      .get(seq, now, now, runId) as Row;
    return { status: "cancelled", run: toRun(updated) };
  });
}
