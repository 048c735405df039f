import type { EventRecord, LatchEvent } from "../../replay/events.js";
import type { EventFilter, NewRun, RunRecord } from "../../store/records.js";
import { newRunRecord, type Row, toRun } from "../rows.js";
import type { SqliteConnection } from "./connection.js";

/** Runs and their event logs: creating a run, reading it, appending to and reading its log. */

export async function createRun(c: SqliteConnection, run: NewRun): Promise<RunRecord> {
  const event: LatchEvent = {
    type: "run.created",
    workflow: run.workflow,
    version: run.version,
    input: run.input,
  };
  await c.write(() => {
    c.stmt(
      `INSERT INTO runs (id, workflow, version, status, input, seq, wake_at, created_at, updated_at)
       VALUES (?, ?, ?, 'pending', ?, 1, ?, ?, ?)`,
    ).run(run.id, run.workflow, run.version ?? null, run.input ?? null, run.now, run.now, run.now);
    insertEvents(c, run.id, 0, [event], run.now);
  });
  return newRunRecord(run);
}

export function getRun(c: SqliteConnection, runId: string): RunRecord | undefined {
  const row = c.stmt("SELECT * FROM runs WHERE id = ?").get(runId) as Row | undefined;
  return row ? toRun(row) : undefined;
}

export function readEvents(c: SqliteConnection, runId: string, filter: EventFilter): EventRecord[] {
  const rows = c
    .stmt(
      `SELECT seq, data, at FROM events WHERE run_id = ? AND seq > ? AND (? IS NULL OR type >= ? AND type < ?)
       ORDER BY seq LIMIT ?`,
    )
    .all(
      runId,
      filter.afterSeq ?? 0,
      filter.typePrefix ?? null,
      filter.typePrefix ?? "",
      `${filter.typePrefix ?? ""}\uffff`,
      filter.limit ?? -1,
    ) as Row[];
  return rows.map((r) => ({ ...(JSON.parse(r.data) as LatchEvent), seq: r.seq, at: r.at }));
}

/**
 * Appends events after `afterSeq` in as few statements as possible (16 rows a statement); returns
 * the new last seq. Inside a write.
 */
export function insertEvents(
  c: SqliteConnection,
  runId: string,
  afterSeq: number,
  events: readonly LatchEvent[],
  now: number,
): number {
  let seq = afterSeq;
  for (let i = 0; i < events.length; i += 16) {
    const chunk = events.slice(i, i + 16);
    const args: unknown[] = [];
    for (const e of chunk) args.push(runId, ++seq, e.type, JSON.stringify(e), now);
    c.stmt(
      `INSERT INTO events (run_id, seq, type, data, at) VALUES ${chunk.map(() => "(?, ?, ?, ?, ?)").join(", ")}`,
    ).run(...args);
  }
  return seq;
}
