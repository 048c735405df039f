import { type CommitResult, isTerminal, type RunCommit } from "../../store/records.js";
import { hookChanges, takenTokens } from "../hook-changes.js";
import { OUTBOX_LEASE_MS } from "../outbox.js";
import type { Row } from "../rows.js";
import type { SqliteConnection } from "./connection.js";
import { insertEvents } from "./runs.js";

/**
 * Applies commits (see RunCommit), each checked on its own, in one write: the events, the hooks
 * registered and closed, the payloads consumed or rejected, the lifecycle deliveries and the run's
 * new state, all or nothing per commit.
 */
export function commit(c: SqliteConnection, batch: RunCommit[]): Promise<CommitResult[]> {
  return c.write(() => batch.map((rc) => commitOne(c, rc)));
}

function commitOne(c: SqliteConnection, rc: RunCommit): CommitResult {
  const run = c
    .stmt("SELECT seq, owner, lease_until, pending_inbox, cancel_requested FROM runs WHERE id = ?")
    .get(rc.runId) as Row | undefined;
  if (!run) return { ok: false, reason: "conflict" };
  if (run.owner !== rc.owner || run.lease_until < rc.now) return { ok: false, reason: "lease_lost" };
  if (run.seq !== rc.expectedSeq) return { ok: false, reason: "conflict" };

  // Registrations and closes in the order of their events: a token the run gives up is free for
  // a registration after that, in the same commit (a loop that disposes a hook and takes its
  // token again).
  const changes = hookChanges(rc);
  if (rc.registerHooks?.length) {
    const expire = c.stmt(
      "UPDATE hooks SET status = 'expired', closed_at = ? WHERE token = ? AND status = 'pending' AND expires_at <= ?",
    );
    const holder = c.stmt("SELECT id FROM hooks WHERE token = ? AND status = 'pending'");
    const taken = takenTokens(rc.runId, changes, (token) => {
      // A live hook past its timeout gives its token up; its own run records the expiry later.
      expire.run(rc.now, token, rc.now);
      return (holder.get(token) as Row | undefined)?.id;
    });
    if (taken.length) return { ok: false, reason: "token_taken", hookIds: taken };
  }

  const seq = insertEvents(c, rc.runId, rc.expectedSeq, rc.events, rc.now);
  let pendingInbox: number = run.pending_inbox;
  for (const ch of changes) {
    if (ch.kind === "close") {
      c.stmt("UPDATE hooks SET status = ?, closed_at = ? WHERE id = ? AND status = 'pending'").run(
        ch.status,
        rc.now,
        ch.hookId,
      );
      continue;
    }
    const h = ch.hook;
    c.stmt(
      `INSERT INTO hooks (id, run_id, token, name, kind, status, schema, metadata, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?)`,
    ).run(
      h.hookId,
      rc.runId,
      h.token,
      h.name ?? null,
      h.kind,
      h.schema === undefined ? null : JSON.stringify(h.schema),
      h.metadata === undefined ? null : JSON.stringify(h.metadata),
      rc.now,
      h.expiresAt ?? null,
    );
    if (h.adoptEarly) pendingInbox += adoptEarlyPayloads(c, rc.runId, h.hookId, h.token);
  }
  if (rc.closeAllHooks) {
    c.stmt("UPDATE hooks SET status = 'disposed', closed_at = ? WHERE run_id = ? AND status = 'pending'").run(
      rc.now,
      rc.runId,
    );
  }
  if (rc.outbox?.length) {
    const ins = c.stmt(
      `INSERT INTO outbox (id, run_id, workflow, handler, event, created_at, owner, lease_until, attempts)
       SELECT ?, ?, workflow, ?, ?, ?, ?, ?, 1 FROM runs WHERE id = ?`,
    );
    const until = rc.now + (rc.outboxLeaseMs ?? OUTBOX_LEASE_MS);
    for (const o of rc.outbox) ins.run(o.id, rc.runId, o.handler, o.event, rc.now, rc.owner, until, rc.runId);
  }
  pendingInbox -= consumeInbox(c, rc);

  const terminal = rc.status !== undefined && isTerminal(rc.status);
  const release = terminal || rc.release !== undefined;
  const wakeAt = terminal
    ? null
    : release
      ? pendingInbox > 0 || run.cancel_requested
        ? rc.now
        : (rc.release?.wakeAt ?? null)
      : undefined;
  c.stmt(
    `UPDATE runs SET seq = ?, pending_inbox = ?, updated_at = ?,
       status = coalesce(?, status), output = coalesce(?, output), error = coalesce(?, error),
       finished_at = CASE WHEN ? THEN ? ELSE finished_at END,
       last_owner = CASE WHEN ? THEN owner ELSE last_owner END,
       owner = CASE WHEN ? THEN NULL ELSE owner END,
       lease_until = CASE WHEN ? THEN NULL ELSE lease_until END,
       wake_at = CASE WHEN ? THEN ? ELSE wake_at END
     WHERE id = ?`,
  ).run(
    seq,
    pendingInbox,
    rc.now,
    rc.status ?? null,
    rc.output ?? null,
    rc.error ? JSON.stringify(rc.error) : null,
    terminal ? 1 : 0,
    rc.now,
    release ? 1 : 0,
    release ? 1 : 0,
    release ? 1 : 0,
    wakeAt !== undefined ? 1 : 0,
    wakeAt ?? null,
    rc.runId,
  );
  return { ok: true, seq, pendingInbox, cancelRequested: run.cancel_requested === 1 };
}

/** Gives a new hook the payloads kept for its token before it existed; answers how many. */
function adoptEarlyPayloads(c: SqliteConnection, runId: string, hookId: string, token: string): number {
  const adopted = c
    .stmt("UPDATE inbox SET hook_id = ?, run_id = ? WHERE token = ? AND hook_id IS NULL")
    .run(hookId, runId, token).changes;
  if (adopted) c.stmt("UPDATE hooks SET payloads = payloads + ? WHERE id = ?").run(adopted, hookId);
  return adopted;
}

/** Marks the payloads the commit consumed or rejected (with their issues); answers how many. */
function consumeInbox(c: SqliteConnection, rc: RunCommit): number {
  let n = 0;
  if (rc.consumeInbox?.length) {
    const s = c.stmt("UPDATE inbox SET consumed_at = ? WHERE id = ? AND run_id = ? AND consumed_at IS NULL");
    for (const id of rc.consumeInbox) n += s.run(rc.now, id, rc.runId).changes;
  }
  if (rc.rejectInbox?.length) {
    const s = c.stmt(
      "UPDATE inbox SET consumed_at = ?, issues = ? WHERE id = ? AND run_id = ? AND consumed_at IS NULL",
    );
    for (const r of rc.rejectInbox) n += s.run(rc.now, JSON.stringify(r.issues), r.id, rc.runId).changes;
  }
  return n;
}
