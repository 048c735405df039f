import type { PreparedDelivery } from "../lifecycle/deliveries.js";
import { batchRow } from "../lifecycle/outbox-row.js";
import type { LatchEvent } from "../replay/events.js";
import type { HookRegistration, RunCommit } from "../store/records.js";

/**
 * Events that may wait for a later commit while steps run. Not held: a step's outcome (the next step
 * starts only once it is durable, so a recorded step never re-runs because a later one crashed),
 * a hook's registration (a step may hand its token out), a recorded now/random/uuid (a step may
 * use it; after a crash the code would draw another).
 */
const HOLDABLE: ReadonlySet<LatchEvent["type"]> = new Set([
  "run.started",
  "run.resumed",
  "step.started",
  "sleep.started",
  "sleep.completed",
  "hook.received",
  "hook.rejected",
]);

export interface PlannerDeps {
  runId: string;
  owner: string;
  /** How long the owner holds the lifecycle deliveries it commits (its lease). */
  leaseMs: number;
  /** The lifecycle deliveries an event causes as the run stands now, `seq` being its log position. */
  deliveriesOf(e: LatchEvent, seq: number): readonly PreparedDelivery[];
}

/** What the driver adds to a commit: giving the run back, or ending it. */
export type CommitEnd = Partial<Pick<RunCommit, "release" | "status" | "output" | "error" | "closeAllHooks">>;

/**
 * Decides what the next commit of a run writes. The driver records events here as the code makes
 * them; each brings the lifecycle deliveries it causes, worked out when it is recorded (the run's
 * state then: a step's attempt, the steps in back-off). `plan` turns the buffer into one RunCommit:
 * the events, hook registrations and closes in event order, the inbox rows consumed or rejected,
 * and one outbox row with every delivery.
 */
export class CommitPlanner {
  private events: LatchEvent[] = [];
  private deliveries: PreparedDelivery[] = [];
  /** How many deliveries there were before the last event's. */
  private beforeLast = 0;

  constructor(private readonly deps: PlannerDeps) {}

  /** Adds an event to the next commit; `committedSeq` is where the log ends now. */
  record(e: LatchEvent, committedSeq: number): void {
    this.events.push(e);
    this.beforeLast = this.deliveries.length;
    const found = this.deps.deliveriesOf(e, committedSeq + this.events.length);
    for (const d of found) this.deliveries.push(d);
  }

  /** Events waiting for a commit. */
  get size(): number {
    return this.events.length;
  }

  /** Whether every event buffered may wait for a later commit (see HOLDABLE). */
  get holdable(): boolean {
    for (const e of this.events) if (!HOLDABLE.has(e.type)) return false;
    return true;
  }

  /** The commit of everything buffered, appended after `expectedSeq`. */
  plan(expectedSeq: number, now: number, end: CommitEnd = {}): RunCommit {
    const { runId } = this.deps;
    const registerHooks: HookRegistration[] = [];
    const closeHooks: NonNullable<RunCommit["closeHooks"]> = [];
    const consumeInbox: number[] = [];
    const rejectInbox: NonNullable<RunCommit["rejectInbox"]> = [];
    for (const e of this.events) {
      if (e.type === "hook.created" && !e.conflict) {
        registerHooks.push({
          hookId: e.hookId,
          token: e.token,
          name: e.name,
          kind: e.kind,
          schema: e.schema,
          metadata: e.metadata,
          expiresAt: e.expiresAt,
          adoptEarly: e.token !== `${runId}:${e.hookId}`,
        });
      } else if (e.type === "hook.disposed" && e.reason === "disposed") {
        closeHooks.push({ hookId: e.hookId, status: "disposed" });
      } else if (e.type === "hook.expired") {
        closeHooks.push({ hookId: e.hookId, status: "expired" });
      } else if (e.type === "hook.received") {
        consumeInbox.push(e.inboxId);
      } else if (e.type === "hook.rejected") {
        rejectInbox.push({ id: e.inboxId, issues: e.issues });
      }
    }
    return {
      outbox: this.deliveries.length ? [batchRow(this.deliveries)] : [],
      outboxLeaseMs: this.deps.leaseMs,
      runId,
      owner: this.deps.owner,
      expectedSeq,
      events: this.events,
      registerHooks,
      closeHooks,
      consumeInbox,
      ...(rejectInbox.length ? { rejectInbox } : {}),
      now,
      ...end,
    };
  }

  /** The planned commit is durable: the buffer starts again; the deliveries to dispatch now. */
  committed(): PreparedDelivery[] {
    const deliveries = this.deliveries;
    this.events = [];
    this.deliveries = [];
    return deliveries;
  }

  /**
   * The store refused a token (the hooks are now marked as conflicts, see Execution.markHookConflict):
   * the run does not suspend on this commit after all, as its code goes on without those hooks;
   * nor does it cause the suspension's deliveries.
   */
  refused(): void {
    if (this.events.at(-1)?.type !== "run.suspended") return;
    this.events.pop();
    this.deliveries.length = this.beforeLast;
  }
}
