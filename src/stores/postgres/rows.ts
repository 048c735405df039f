import type { LatchEvent } from "../../replay/events.js";
import type { InboxRecord, NewRun, ResumeOutcome, ResumeRequest, RunCommit } from "../../store/records.js";
import { hookChanges } from "../hook-changes.js";
import { type Row, sender, toHook, toInbox } from "../rows.js";

export { type Row, toHook, toInbox, toInboxEntry, toOutbox, toRun } from "../rows.js";

/**
 * A commit as the `commit_runs` SQL function reads it: every key present, JSON values already
 * text (stored as written, never re-encoded), events as [type, JSON] pairs. Registrations and
 * closes carry `at`, their place in the commit (see hookChanges): the SQL applies them in that order.
 */
export function toCommitJson(c: RunCommit): unknown {
  const changes = hookChanges(c);
  return {
    runId: c.runId,
    owner: c.owner,
    expectedSeq: c.expectedSeq,
    now: c.now,
    events: c.events.map((e) => [e.type, JSON.stringify(e)]),
    registerHooks: changes.flatMap((ch) => {
      if (ch.kind !== "register") return [];
      const h = ch.hook;
      return {
        at: ch.at,
        hookId: h.hookId,
        token: h.token,
        name: h.name ?? null,
        kind: h.kind,
        schema: h.schema === undefined ? null : JSON.stringify(h.schema),
        metadata: h.metadata === undefined ? null : JSON.stringify(h.metadata),
        expiresAt: h.expiresAt ?? null,
        adoptEarly: h.adoptEarly,
      };
    }),
    closeHooks: changes.flatMap((ch) => (ch.kind === "close" ? [[ch.hookId, ch.status, ch.at]] : [])),
    closeAllHooks: c.closeAllHooks === true,
    consumeInbox: c.consumeInbox ?? [],
    rejectInbox: c.rejectInbox ?? [],
    outbox: (c.outbox ?? []).map((o) => ({ id: o.id, handler: o.handler, event: o.event })),
    outboxLeaseMs: c.outboxLeaseMs ?? null,
    status: c.status ?? null,
    output: c.output ?? null,
    error: c.error ? JSON.stringify(c.error) : null,
    release: c.release !== undefined,
    wakeAt: c.release?.wakeAt ?? null,
  };
}

/**
 * The inbox of a claimed run, as the claim query aggregates it: [id, token, hook, payload, at,
 * sender].
 */
export function toClaimedInbox(runId: string, rows: unknown[][] | null): InboxRecord[] {
  return (rows ?? []).map(([id, token, hookId, payload, at, sender]) =>
    toInbox({ id, token, hook_id: hookId, run_id: runId, payload, received_at: at, sender }),
  );
}

/** A run as the `create_runs` SQL function reads it, with its run.created event as JSON text. */
export function toCreateJson(r: NewRun): unknown {
  const event: LatchEvent = { type: "run.created", workflow: r.workflow, version: r.version, input: r.input };
  return {
    id: r.id,
    workflow: r.workflow,
    version: r.version ?? null,
    input: r.input ?? null,
    now: r.now,
    event: JSON.stringify(event),
  };
}

/** A resume as the `resume_hooks` SQL function reads it. */
export function toResumeJson(r: ResumeRequest): unknown {
  return {
    token: r.token,
    payload: r.payload ?? null,
    key: r.idempotencyKey ?? null,
    keep: r.ifMissing === "keep",
    now: r.now,
    check: r.check ?? null,
    sender: sender(r),
  };
}

/** An outcome as `resume_hooks` answers it: the hook to validate against as a record, no nulls. */
export function toResumeOutcome(out: Row): ResumeOutcome {
  if (out.status === "validate") return { status: "validate", hook: toHook(out.hook) };
  if (out.status === "expired" && out.expiredAt == null) delete out.expiredAt;
  // Only for the notification resume_hooks sends.
  delete out.lastOwner;
  return out as ResumeOutcome;
}
