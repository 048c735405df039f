import type { PayloadIssue } from "../errors.js";
import type { EventOf } from "../replay/events.js";
import type { InboxRecord, RunCommit } from "../store/records.js";

/**
 * Turns a run's inbox rows into the `hook.received` events to apply, each row once: the one place
 * the runtime filters payloads it already has. The store hands a row out until a commit consumes
 * it (its `consumed_at`), so a row read again before then — queued, or applied and waiting in the
 * commit buffer — is skipped here; once its commit is durable the store never hands it out again
 * and the feed forgets it. Validation is not done here: see HookState.check.
 */
export class PayloadFeed {
  /** Rows taken and not yet consumed by a durable commit. */
  private readonly taken = new Set<number>();

  /** The rows not taken yet, as events, oldest first. */
  take(rows: readonly InboxRecord[]): EventOf<"hook.received">[] {
    const out: EventOf<"hook.received">[] = [];
    for (const row of rows) {
      if (this.taken.has(row.id)) continue;
      this.taken.add(row.id);
      out.push({
        type: "hook.received",
        hookId: row.hookId,
        token: row.token,
        inboxId: row.id,
        payload: row.payload,
        receivedAt: row.receivedAt,
        ...(row.by ? { by: row.by } : {}),
        ...(row.channel ? { channel: row.channel } : {}),
      });
    }
    return out;
  }

  /** A commit that consumed (or rejected) rows is durable. */
  consumed(commit: Pick<RunCommit, "consumeInbox" | "rejectInbox">): void {
    for (const id of commit.consumeInbox ?? []) this.taken.delete(id);
    for (const r of commit.rejectInbox ?? []) this.taken.delete(r.id);
  }

  /** Rows taken and not consumed yet: the store counts them among a run's pending payloads. */
  get outstanding(): number {
    return this.taken.size;
  }
}

/** The event that records a payload the hook's own schema turned down: the hook goes on waiting. */
export function rejection(e: EventOf<"hook.received">, issues: PayloadIssue[]): EventOf<"hook.rejected"> {
  const { type: _, ...rest } = e;
  return { ...rest, type: "hook.rejected", issues };
}
