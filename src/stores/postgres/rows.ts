import type { SerializedError } from "../../errors.js";
import type {
  HookRecord,
  InboxRecord,
  OutboxEntry,
  RunCommit,
  RunRecord,
  RunStatus,
} from "../../store/records.js";

/** A row as the driver returns it (bigint columns already parsed to numbers). */
export type Row = Record<string, any>;

/**
 * A commit as the `commit_runs` SQL function reads it: every key present, JSON values already
 * text (stored as written, never re-encoded), events as [type, JSON] pairs.
 */
export function toCommitJson(c: RunCommit): unknown {
  return {
    runId: c.runId,
    owner: c.owner,
    expectedSeq: c.expectedSeq,
    now: c.now,
    events: c.events.map((e) => [e.type, JSON.stringify(e)]),
    registerHooks: (c.registerHooks ?? []).map((h) => ({
      hookId: h.hookId,
      token: h.token,
      name: h.name ?? null,
      kind: h.kind,
      schema: h.schema === undefined ? null : JSON.stringify(h.schema),
      metadata: h.metadata === undefined ? null : JSON.stringify(h.metadata),
      expiresAt: h.expiresAt ?? null,
      adoptEarly: h.adoptEarly,
    })),
    closeHooks: (c.closeHooks ?? []).map((h) => [h.hookId, h.status]),
    closeAllHooks: c.closeAllHooks === true,
    consumeInbox: c.consumeInbox ?? [],
    outbox: (c.outbox ?? []).map((o) => ({ id: o.id, handler: o.handler, event: o.event })),
    outboxLeaseMs: c.outboxLeaseMs ?? null,
    status: c.status ?? null,
    output: c.output ?? null,
    error: c.error ? JSON.stringify(c.error) : null,
    release: c.release !== undefined,
    wakeAt: c.release?.wakeAt ?? null,
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
    cancelRequested: r.cancel_requested === true,
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
  };
}

/** The inbox of a claimed run, as the claim query aggregates it: [id, token, hook, payload, at]. */
export function toClaimedInbox(runId: string, rows: unknown[][] | null): InboxRecord[] {
  return (rows ?? []).map(([id, token, hookId, payload, at]) => ({
    id: Number(id),
    token: token as string,
    hookId: hookId as string,
    runId,
    payload: (payload as string | null) ?? undefined,
    receivedAt: Number(at),
  }));
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
