import type { InboxEntry, InboxRecord, ResumeOutcome, ResumeRequest } from "../../store/records.js";
import { type Row, senderColumn, toHook, toInbox, toInboxEntry } from "../rows.js";
import type { SqliteConnection } from "./connection.js";

/** Payloads for hooks: recording one (resumeHook), and reading the inbox they wait in. */

export function resumeHook(c: SqliteConnection, req: ResumeRequest): Promise<ResumeOutcome> {
  return c.write((): ResumeOutcome => {
    if (req.idempotencyKey !== undefined) {
      const seen = c
        .stmt("SELECT id, hook_id, run_id, payload FROM inbox WHERE token = ? AND idempotency_key = ?")
        .get(req.token, req.idempotencyKey) as Row | undefined;
      if (seen) {
        // A key names one payload: another one under it would be dropped silently if taken as a repeat.
        if (seen.payload !== (req.payload ?? null)) return { status: "idempotency_conflict" };
        return seen.hook_id
          ? { status: "accepted", runId: seen.run_id, hookId: seen.hook_id, inboxId: seen.id, repeated: true }
          : { status: "kept", inboxId: seen.id, repeated: true };
      }
    }
    const hook = c
      .stmt("SELECT id, run_id, expires_at, name, schema FROM hooks WHERE token = ? AND status = 'pending'")
      .get(req.token) as Row | undefined;
    if (hook && !(hook.expires_at !== null && hook.expires_at <= req.now)) {
      const check = req.check;
      if (
        check &&
        hook.id !== check.validatedHookId &&
        (hook.schema !== null || (hook.name !== null && check.schemaNames.includes(hook.name)))
      ) {
        const row = c.stmt("SELECT * FROM hooks WHERE id = ?").get(hook.id) as Row;
        return { status: "validate", hook: toHook(row) };
      }
      const inboxId = insertInbox(c, req, hook.id, hook.run_id);
      c.stmt("UPDATE hooks SET payloads = payloads + 1 WHERE id = ?").run(hook.id);
      c.stmt(
        `UPDATE runs SET pending_inbox = pending_inbox + 1,
           wake_at = CASE WHEN wake_at IS NULL OR wake_at > ? THEN ? ELSE wake_at END
         WHERE id = ?`,
      ).run(req.now, req.now, hook.run_id);
      return { status: "accepted", runId: hook.run_id, hookId: hook.id, inboxId, repeated: false };
    }
    if (req.ifMissing === "keep") {
      return { status: "kept", inboxId: insertInbox(c, req, null, null), repeated: false };
    }
    if (hook) return { status: "expired", expiredAt: hook.expires_at };
    const last = c
      .stmt("SELECT status, expires_at FROM hooks WHERE token = ? ORDER BY created_at DESC, id DESC LIMIT 1")
      .get(req.token) as Row | undefined;
    if (!last) return { status: "not_found" };
    return last.status === "expired"
      ? { status: "expired", expiredAt: last.expires_at }
      : { status: "disposed" };
  });
}

/** Records a payload for a live hook (or, kept for a future one, for none); answers its inbox id. */
function insertInbox(
  c: SqliteConnection,
  req: ResumeRequest,
  hookId: string | null,
  runId: string | null,
): number {
  return Number(
    c
      .stmt(
        `INSERT INTO inbox (token, hook_id, run_id, payload, idempotency_key, received_at, sender)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        req.token,
        hookId,
        runId,
        req.payload ?? null,
        req.idempotencyKey ?? null,
        req.now,
        senderColumn(req),
      ).lastInsertRowid,
  );
}

export function readInbox(c: SqliteConnection, runId: string): InboxRecord[] {
  return (
    c.stmt("SELECT * FROM inbox WHERE run_id = ? AND consumed_at IS NULL ORDER BY id").all(runId) as Row[]
  ).map(toInbox);
}

export function getInboxEntry(c: SqliteConnection, id: number): InboxEntry | undefined {
  const row = c.stmt("SELECT * FROM inbox WHERE id = ?").get(id) as Row | undefined;
  return row ? toInboxEntry(row) : undefined;
}
