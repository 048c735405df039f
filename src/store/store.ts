import type { EventRecord } from "../replay/events.js";
import type {
  CancelOutcome,
  ClaimedRun,
  CommitResult,
  EventFilter,
  HookCountFilter,
  HookCounts,
  HookFilter,
  HookRecord,
  InboxEntry,
  InboxRecord,
  NewRun,
  OutboxEntry,
  Page,
  ResumeOutcome,
  ResumeRequest,
  RunCommit,
  RunCountFilter,
  RunCounts,
  RunFilter,
  RunRecord,
} from "./records.js";

/** What a `watch` ring says changed (run ids; a run may be named more than once). */
export interface StoreChange {
  /** New runs, ready to be claimed. */
  created: string[];
  /**
   * Runs given a payload: ready to be claimed, or, when held, to read their inbox. `lastOwner`:
   * the worker that released the run last, where the store knows it — that worker has it in
   * memory and should claim it; the others leave it to that worker for a moment.
   */
  payloads: { runId: string; lastOwner?: string }[];
  /** Runs whose cancel was requested (held) or done at once (not held: lifecycle hooks to expand). */
  cancels: string[];
}

export interface WatchOptions {
  /**
   * The worker watching. A store that can tell which workers are alive advertises it (PostgreSQL:
   * the LISTEN connection's application_name), so that the runs this worker released are left to
   * it only while it lives (see RELEASE_AFFINITY_MS).
   */
  owner?: string;
}

/**
 * THE storage contract. Small and semantic: each method is one state change (one transaction) or
 * one read. A race is never an exception thrown half-way; it is a typed outcome (a conflict, a
 * token taken) with nothing written.
 *
 * Times are milliseconds since the epoch passed in by the caller (`now`), so a virtual clock
 * drives timers in tests exactly as the wall clock does in production.
 */
export interface Store {
  readonly kind: string;

  /** Creates the run with its `run.created` event; it is ready for a worker at once. */
  createRun(run: NewRun): Promise<RunRecord>;
  getRun(runId: string): Promise<RunRecord | undefined>;
  listRuns(filter: RunFilter): Promise<Page<RunRecord>>;
  /**
   * How many runs have each status, in one query (for /metrics and dashboards, which must not page
   * through every run): `{ pending: 2, running: 0, … }` with every status present.
   */
  countRuns(filter?: RunCountFilter): Promise<RunCounts>;
  readEvents(runId: string, filter?: EventFilter): Promise<EventRecord[]>;

  /**
   * Leases up to `limit` runs that are due (wakeAt ≤ now) and not held by a live lease, in no
   * particular order. A crashed worker's runs become claimable when its lease ends, or at once where
   * the store can tell that the holder's process is gone (SQLite on Linux). Without `ids`,
   * a run released by another worker is claimable RELEASE_AFFINITY_MS after it became due.
   */
  claimRuns(opts: {
    owner: string;
    now: number;
    leaseMs: number;
    limit: number;
    /** Only runs of these workflows (the ones this worker has code for). */
    workflows: string[];
    /**
     * Only these runs (the ones a notification named), each if it is due and not held. Without it,
     * any due runs.
     */
    ids?: string[];
  }): Promise<ClaimedRun[]>;
  /** Extends the owner's leases on these runs; returns the ids it no longer holds. */
  renewLeases(owner: string, runIds: string[], now: number, leaseMs: number): Promise<string[]>;
  /** Runs held by `owner` that have unconsumed payloads or a cancel request. */
  ownedRunsWithWork(owner: string): Promise<string[]>;
  /** Applies every commit, each in isolation (one failing does not stop the others); in order. */
  commit(batch: RunCommit[]): Promise<CommitResult[]>;
  /** Unconsumed payloads of a run, oldest first. */
  readInbox(runId: string): Promise<InboxRecord[]>;
  /** Records that a worker can run these workflows, so clients can check names they are given. */
  registerWorkflows(names: string[], now: number): Promise<void>;
  /** Workflow names any worker has registered. */
  listWorkflows(): Promise<string[]>;
  /** The earliest wakeAt of runs no worker holds, if any. */
  nextWakeAt(): Promise<number | undefined>;

  /**
   * Leases up to `limit` undelivered outbox entries (of these workflows) whose lease ended: the
   * deliveries a crashed or slow process did not confirm (a holder known to be gone: at once, as
   * for claimRuns).
   */
  claimOutbox(opts: {
    owner: string;
    now: number;
    leaseMs: number;
    limit: number;
    workflows: string[];
  }): Promise<OutboxEntry[]>;
  /** Confirms deliveries: they are removed from the outbox. */
  ackOutbox(ids: string[]): Promise<void>;

  /** The pending hook with this token, else the most recent one that had it. */
  getHook(token: string): Promise<HookRecord | undefined>;
  listHooks(filter: HookFilter): Promise<Page<HookRecord>>;
  /** How many hooks have each status, in one query: `{ pending, expired, disposed }`. */
  countHooks(filter?: HookCountFilter): Promise<HookCounts>;
  /**
   * Records a payload for the hook with this token (idempotently when a key is given: a repeat
   * with the same payload answers as the first call did; one with another payload is refused).
   */
  resumeHook(req: ResumeRequest): Promise<ResumeOutcome>;
  /** A recorded payload by its inbox id, with what became of it (delivered, rejected, pending). */
  getInboxEntry(id: number): Promise<InboxEntry | undefined>;
  /**
   * Cancels a run no worker holds at once (events, hooks disposed, one "expand:cancelled" outbox
   * entry for its lifecycle hooks), or flags a held one for its worker. The run returned is the
   * row after the change.
   */
  cancelRun(runId: string, now: number): Promise<CancelOutcome>;

  /**
   * Calls `listener` when another process may have changed something a worker cares about (a new
   * run, a payload, a cancel). It may also ring for this process's own changes and once on start:
   * a ring means "look again", never more. A store that knows which runs changed says so (then
   * the worker looks at those only); a ring without a `StoreChange` means "look at everything".
   * Returns an unsubscribe function.
   *
   * Claims (see claimRuns) leave a run to the worker that released it for RELEASE_AFFINITY_MS;
   * a store that knows the worker is gone (it watches with its `owner`) may hand it on at once.
   */
  watch(listener: (change?: StoreChange) => void, options?: WatchOptions): () => void;
  close(): Promise<void>;
}
