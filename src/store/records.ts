import type { SerializedError } from "../errors.js";
import type { Actor, HookKind, LatchEvent } from "../replay/events.js";

/** Where a run is in its life. Terminal: succeeded, failed, cancelled, timed_out. */
export type RunStatus =
  | "pending"
  | "running"
  | "suspended"
  | "succeeded"
  | "failed"
  | "cancelled"
  | "timed_out";
/** Every status, in the order of a run's life (for listings, filters and metrics). */
export const RUN_STATUSES: readonly RunStatus[] = [
  "pending",
  "running",
  "suspended",
  "succeeded",
  "failed",
  "cancelled",
  "timed_out",
];
export const TERMINAL_STATUSES: readonly RunStatus[] = ["succeeded", "failed", "cancelled", "timed_out"];
export const isTerminal = (s: RunStatus): boolean => TERMINAL_STATUSES.includes(s);

export interface RunRecord {
  id: string;
  workflow: string;
  version?: string;
  status: RunStatus;
  /** JSON text of the arguments array. */
  input?: string;
  /** JSON text of the return value, when succeeded. */
  output?: string;
  error?: SerializedError;
  /** Position of the last event in the log. */
  seq: number;
  createdAt: number;
  updatedAt: number;
  finishedAt?: number;
  /** When a worker should next look at the run (a timer, a payload, a cancel); undefined: nothing due. */
  wakeAt?: number;
  cancelRequested: boolean;
}

/** A hook is `pending` until it is disposed, it expires, or its run ends. */
export type HookStatus = "pending" | "expired" | "disposed";
/** Every hook status (for counts and filters). */
export const HOOK_STATUSES: readonly HookStatus[] = ["pending", "expired", "disposed"];

export interface HookRecord {
  hookId: string;
  runId: string;
  token: string;
  name?: string;
  kind: HookKind;
  status: HookStatus;
  /** JSON Schema of the payload, derived from the hook's Standard Schema when it was created. */
  schema?: unknown;
  metadata?: unknown;
  createdAt: number;
  expiresAt?: number;
  closedAt?: number;
  /** How many payloads were accepted for this hook. */
  payloads: number;
}

/** A payload accepted by resumeHook, waiting for (or already consumed by) its run. */
export interface InboxRecord {
  id: number;
  token: string;
  hookId: string;
  runId: string;
  /** JSON text, or undefined for an undefined payload. */
  payload?: string;
  receivedAt: number;
  /** Who sent it, when the sender said. */
  by?: Actor;
  channel?: string;
}

/** A payload as recorded, and what became of it. */
export interface InboxEntry extends Omit<InboxRecord, "hookId" | "runId"> {
  /** Undefined while the payload waits for a hook created with its token (`ifMissing: "keep"`). */
  hookId?: string;
  runId?: string;
  /**
   * `pending`: not taken by its run yet; `delivered`: recorded as `hook.received`; `rejected`:
   * recorded as `hook.rejected` (it failed the hook's own schema where the run's code is).
   */
  status: "pending" | "delivered" | "rejected";
  /** The issues of a rejected payload. */
  issues?: { path: string; message: string }[];
  consumedAt?: number;
}

export interface NewRun {
  id: string;
  workflow: string;
  version?: string;
  input?: string;
  now: number;
}

/**
 * How long a due run is left to the worker that released it last before another worker's scan
 * (a claim without ids) takes it. That worker holds the run in memory and is told (a `StoreChange`
 * names it), so it resumes the run warm; if it is busy, the run waits this much longer. A store
 * that can tell the worker is gone (see WatchOptions) hands its runs on at once. In a busy
 * 3-worker bench, others' scans took 5,245 of 10,000 resumed runs from their owners at 100 ms,
 * 1,232 at 1 s. (Temporal's sticky queues wait 5 s by default.)
 */
export const RELEASE_AFFINITY_MS = 1_000;

export interface ClaimedRun {
  run: RunRecord;
  /**
   * Another worker held the run until its lease ended (it crashed, lost its lease, or stopped and
   * gave the claim back): what it did last may not be recorded.
   */
  recovered: boolean;
  /** Payloads waiting for the run, oldest first (saves the worker a round trip). */
  inbox: InboxRecord[];
}

/** A hook registration carried by a commit; its token must be free among live hooks. */
export interface HookRegistration {
  hookId: string;
  token: string;
  name?: string;
  kind: HookKind;
  schema?: unknown;
  metadata?: unknown;
  expiresAt?: number;
  /** Custom tokens may adopt payloads sent earlier with `ifMissing: "keep"`. */
  adoptEarly: boolean;
}

/**
 * One state change of one run, applied atomically: append `events` right after `expectedSeq`
 * (else: conflict, nothing written) and apply their effects.
 */
/**
 * One lifecycle-hook delivery to make after a commit (outbox pattern): written in the same
 * transaction as the transition that causes it, so a crash between commit and dispatch still
 * delivers after restart. `id` is stable across redeliveries, for de-duplication.
 */
export interface OutboxEntry {
  id: string;
  runId: string;
  workflow: string;
  /** The handler to call, e.g. "onSuccess", or "expand:cancelled" for a cancel made without the workflow's code. */
  handler: string;
  /** JSON of the lifecycle event handed to the handler. */
  event: string;
  createdAt: number;
  attempts: number;
}

/**
 * What an outbox row carries, by its `handler` column (a protocol between the stores and the
 * lifecycle dispatcher, so it lives with the contract): the runtime writes one `batch` row per
 * commit that causes deliveries (the deliveries, as JSON); a store that cancels a run no worker
 * holds writes one `expandCancelled` row (`{ at }`), which a process with the workflow's code
 * expands into the cancel's deliveries. Its id is `cancelDeliveryId(runId)` (src/ids.ts; the
 * PostgreSQL cancel_run builds the same in SQL).
 */
export const OUTBOX_ROW = { batch: "batch", expandCancelled: "expand:cancelled" } as const;
export type OutboxRowKind = (typeof OUTBOX_ROW)[keyof typeof OUTBOX_ROW];

export type NewOutboxEntry = Omit<OutboxEntry, "runId" | "workflow" | "createdAt" | "attempts">;

export interface RunCommit {
  runId: string;
  owner: string;
  expectedSeq: number;
  events: LatchEvent[];
  /**
   * Hooks created by this commit. Registrations and `closeHooks` take effect in the order of their
   * events in `events` (`hook.created`; `hook.disposed` / `hook.expired`): a token released by a close
   * earlier in the commit is free for a registration after it (dispose, then create with the same
   * token), while a registration before the release still finds the token taken. An entry with no
   * event counts as before every event (a registration) or after them (a close).
   */
  registerHooks?: HookRegistration[];
  /** Hook ids now expired or disposed (terminal hook states), ordered with registerHooks. */
  closeHooks?: { hookId: string; status: "expired" | "disposed" }[];
  /** Close every hook of the run still pending (the run ended). */
  closeAllHooks?: boolean;
  /** Inbox rows delivered by this commit's hook.received events (rows of this run only). */
  consumeInbox?: number[];
  /** Inbox rows this commit's hook.rejected events turned down: consumed, with their issues kept. */
  rejectInbox?: { id: number; issues: { path: string; message: string }[] }[];
  /** Lifecycle-hook deliveries caused by this commit; leased to `owner`, which dispatches them at once. */
  outbox?: NewOutboxEntry[];
  /** How long `owner` holds those deliveries before another process may deliver them (default 30 s). */
  outboxLeaseMs?: number;
  status?: RunStatus;
  output?: string;
  error?: SerializedError;
  /**
   * Give the run up: the owner releases it and the run sleeps until `wakeAt` (a timer), or at
   * once if a payload or cancel arrived meanwhile. Omitted: the owner keeps its lease.
   */
  release?: { wakeAt?: number };
  now: number;
}

export type CommitResult =
  | {
      ok: true;
      seq: number;
      /** Payloads waiting for this run that it has not consumed (sent meanwhile, or adopted). */
      pendingInbox: number;
      cancelRequested: boolean;
    }
  | { ok: false; reason: "conflict" | "lease_lost" }
  | { ok: false; reason: "token_taken"; hookIds: string[] };

export interface ResumeRequest {
  token: string;
  payload?: string;
  /**
   * A repeat with the same key (for this token) and the same payload records nothing and answers
   * as the first call did (`repeated`); the same key with another payload is `idempotency_conflict`.
   */
  idempotencyKey?: string;
  ifMissing: "error" | "keep";
  now: number;
  /** Who sends it (recorded with the payload). */
  by?: Actor;
  channel?: string;
  /**
   * Set by a caller that validates payloads before they are recorded but has not looked at the hook
   * (one round trip instead of two): a payload for a live hook that has a stored schema, or whose
   * name is in `schemaNames` (schemas the caller holds in code), is not recorded — the answer is
   * `validate`, with the hook — unless that hook is `validatedHookId`, the one the caller has
   * validated the payload against. Without `check` the payload is recorded as sent.
   */
  check?: { schemaNames: string[]; validatedHookId?: string };
}

export type ResumeOutcome =
  | { status: "accepted"; runId: string; hookId: string; inboxId: number; repeated: boolean }
  | { status: "kept"; inboxId: number; repeated: boolean }
  | { status: "not_found" }
  | { status: "expired"; expiredAt?: number }
  | { status: "disposed" }
  /**
   * Nothing recorded: the idempotency key was used before for this token with another payload
   * (payloads compared as stored: their JSON text, undefined only equal to undefined).
   */
  | { status: "idempotency_conflict" }
  /** Nothing recorded: validate the payload against this hook, then send it again (see `check`). */
  | { status: "validate"; hook: HookRecord };

export type CancelOutcome =
  | { status: "not_found" }
  | { status: "already_finished"; run: RunRecord }
  /** The run was not held by a worker: cancelled now, hooks disposed. */
  | { status: "cancelled"; run: RunRecord }
  /** A worker holds the run: it stops at its next durable call. */
  | { status: "requested"; run: RunRecord };

export interface Page<T> {
  items: T[];
  /** Pass as `cursor` to get the next page; undefined on the last page. */
  nextCursor?: string;
}

export interface RunFilter {
  status?: RunStatus | RunStatus[];
  workflow?: string;
  limit?: number;
  cursor?: string;
}

/** Which runs `countRuns` counts: those of these statuses (default: all) and this workflow (default: any). */
export type RunCountFilter = Pick<RunFilter, "status" | "workflow">;

/** How many runs have each status; every status is present (0 when none, or when filtered out). */
export type RunCounts = Record<RunStatus, number>;

/** Which hooks `countHooks` counts. */
export type HookCountFilter = Pick<HookFilter, "status" | "runId" | "name">;

/** How many hooks have each status; every status is present (0 when none, or when filtered out). */
export type HookCounts = Record<HookStatus, number>;

export interface HookFilter {
  status?: HookStatus;
  runId?: string;
  name?: string;
  limit?: number;
  cursor?: string;
}

export interface EventFilter {
  afterSeq?: number;
  /** Only events whose type starts with this prefix, such as "hook" or "step.completed". */
  typePrefix?: string;
  limit?: number;
}
