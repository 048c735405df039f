import type { SerializedError } from "../errors.js";
import {
  HOOK_STATUSES,
  type HookCounts,
  type HookRecord,
  type InboxEntry,
  type InboxRecord,
  type NewRun,
  type OutboxEntry,
  RUN_STATUSES,
  type RunCounts,
  type RunRecord,
  type RunStatus,
} from "../store/records.js";

/**
 * Rows of the tables both stores share (same names, same columns) as records. Numbers may come as
 * numbers or as numeric strings, booleans as 0/1 (SQLite) or true/false (PostgreSQL).
 */
export type Row = Record<string, any>;

/** The record of a run `createRun` just made: pending, its log holding run.created. */
export function newRunRecord(run: NewRun): RunRecord {
  return {
    id: run.id,
    workflow: run.workflow,
    version: run.version,
    status: "pending",
    input: run.input,
    seq: 1,
    createdAt: run.now,
    updatedAt: run.now,
    wakeAt: run.now,
    cancelRequested: false,
  };
}

export function toRun(r: Row): RunRecord {
  return {
    id: r.id,
    workflow: r.workflow,
    version: r.version ?? undefined,
    status: r.status as RunStatus,
    input: r.input ?? undefined,
    output: r.output ?? undefined,
    error: r.error ? (JSON.parse(r.error) as SerializedError) : undefined,
    seq: r.seq,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    finishedAt: r.finished_at == null ? undefined : Number(r.finished_at),
    wakeAt: r.wake_at == null ? undefined : Number(r.wake_at),
    cancelRequested: r.cancel_requested === true || r.cancel_requested === 1,
  };
}

export function toHook(r: Row): HookRecord {
  return {
    hookId: r.id,
    runId: r.run_id,
    token: r.token,
    name: r.name ?? undefined,
    kind: r.kind,
    status: r.status,
    schema: r.schema ? JSON.parse(r.schema) : undefined,
    metadata: r.metadata ? JSON.parse(r.metadata) : undefined,
    createdAt: Number(r.created_at),
    expiresAt: r.expires_at == null ? undefined : Number(r.expires_at),
    closedAt: r.closed_at == null ? undefined : Number(r.closed_at),
    payloads: r.payloads,
  };
}

export function toInbox(r: Row): InboxRecord {
  return {
    id: Number(r.id),
    token: r.token,
    hookId: r.hook_id,
    runId: r.run_id,
    payload: r.payload ?? undefined,
    receivedAt: Number(r.received_at),
    ...senderOf(r.sender),
  };
}

/** The sender column: JSON `{ by?, channel? }` (text in SQLite, jsonb in PostgreSQL), or null. */
function senderOf(raw: unknown): Pick<InboxRecord, "by" | "channel"> {
  if (raw === null || raw === undefined) return {};
  const s = (typeof raw === "string" ? JSON.parse(raw) : raw) as Pick<InboxRecord, "by" | "channel">;
  return { ...(s.by ? { by: s.by } : {}), ...(s.channel ? { channel: s.channel } : {}) };
}

/** Who sent a resume request, as the sender column holds it, or null when it names nobody. */
export function sender(req: {
  by?: InboxRecord["by"];
  channel?: string;
}): Pick<InboxRecord, "by" | "channel"> | null {
  if (!req.by && !req.channel) return null;
  return { by: req.by, channel: req.channel };
}

/** The same as SQLite's text column holds it. */
export function senderColumn(req: { by?: InboxRecord["by"]; channel?: string }): string | null {
  const s = sender(req);
  return s && JSON.stringify(s);
}

export function toInboxEntry(r: Row): InboxEntry {
  const issues = r.issues === null || r.issues === undefined ? undefined : parseJson(r.issues);
  const consumedAt =
    r.consumed_at === null || r.consumed_at === undefined ? undefined : Number(r.consumed_at);
  return {
    id: Number(r.id),
    token: r.token,
    hookId: r.hook_id ?? undefined,
    runId: r.run_id ?? undefined,
    payload: r.payload ?? undefined,
    receivedAt: Number(r.received_at),
    ...senderOf(r.sender),
    status: consumedAt === undefined ? "pending" : issues ? "rejected" : "delivered",
    ...(issues ? { issues: issues as InboxEntry["issues"] } : {}),
    ...(consumedAt === undefined ? {} : { consumedAt }),
  };
}

function parseJson(raw: unknown): unknown {
  return typeof raw === "string" ? JSON.parse(raw) : raw;
}

export function toOutbox(r: Row): OutboxEntry {
  return {
    id: r.id,
    runId: r.run_id,
    workflow: r.workflow,
    handler: r.handler,
    event: r.event,
    createdAt: Number(r.created_at),
    attempts: r.attempts,
  };
}

/** `SELECT status, count(*) AS n … GROUP BY status` rows as counts with every run status present. */
export function runCounts(rows: Row[]): RunCounts {
  const counts = Object.fromEntries(RUN_STATUSES.map((st) => [st, 0])) as RunCounts;
  for (const r of rows) if (r.status in counts) counts[r.status as RunStatus] = Number(r.n);
  return counts;
}

/** The same for hooks. */
export function hookCounts(rows: Row[]): HookCounts {
  const counts = Object.fromEntries(HOOK_STATUSES.map((st) => [st, 0])) as HookCounts;
  for (const r of rows) if (r.status in counts) counts[r.status as keyof HookCounts] = Number(r.n);
  return counts;
}
