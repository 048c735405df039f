import type { Signals } from "../client/signals.js";
import { serializeError } from "../errors.js";
import type { Store, StoreChange } from "../store/store.js";
import type { Logger } from "./logger.js";

/** What a driver is told to look at again. */
export interface Kick {
  inbox?: boolean;
  cancel?: boolean;
}

/** The runs a worker holds, as the wake-ups see them. */
export interface HeldRuns {
  /** Whether the worker holds the run (being loaded, driven, or suspending). */
  holds(runId: string): boolean;
  /** Tells the run's driver, if it has one, to look again. */
  kick(runId: string, what: Kick): void;
  /** Kicks the run, and looks at it again once it is given back in case its driver missed the news. */
  remind(runId: string, what: Kick): void;
  /** How many runs have a driver now. */
  driven(): number;
}

export interface WakeUpDeps {
  store: Store;
  signals: Signals;
  logger: Logger;
  owner: string;
  /** How often to look for due runs nobody told the worker about. */
  pollMs: number;
  claims: { want(runId: string): void; scan(): void };
  held: HeldRuns;
  /** Looks for lifecycle deliveries waiting in the outbox (a cancel made by another process). */
  recoverDeliveries(): void;
}

/**
 * Everything that tells the worker to look: in-process doorbells (a start, resume or cancel made
 * through a client of this process), the store's cross-process watch, and a slow poll for what
 * nobody announced (a dead worker's timers, a lease that ran out). Each becomes a claim by id, a
 * scan, or a kick to the driver of a run the worker holds.
 */
export class WakeUps {
  private poll: NodeJS.Timeout | undefined;
  private unwatch: (() => void) | undefined;
  private lastRecoverAt = 0;
  private readonly onReady = (runId?: string) => {
    if (runId === undefined) this.deps.claims.scan();
    else this.ring(runId, { inbox: true });
  };
  private readonly onCancel = (runId: string) => this.deps.held.kick(runId, { cancel: true });

  constructor(private readonly deps: WakeUpDeps) {}

  start(): void {
    this.deps.signals.on("ready", this.onReady);
    this.deps.signals.on("cancel", this.onCancel);
    this.unwatch = this.deps.store.watch((change) => this.fromStore(change), { owner: this.deps.owner });
    this.poll = setInterval(() => this.deps.claims.scan(), this.deps.pollMs);
    this.poll.unref();
  }

  stop(): void {
    this.deps.signals.off("ready", this.onReady);
    this.deps.signals.off("cancel", this.onCancel);
    this.unwatch?.();
    if (this.poll) clearInterval(this.poll);
  }

  /** A doorbell named this run: kick it where held, else claim it by id. */
  ring(runId: string, what: Kick): void {
    // Being loaded, or suspending with the news unseen: looked at again once that is done.
    if (this.deps.held.holds(runId)) this.deps.held.remind(runId, what);
    else this.deps.claims.want(runId);
  }

  /** Another process changed something: `change` names the runs, or is missing ("look at everything"). */
  fromStore(change?: StoreChange): void {
    if (change) {
      for (const id of change.created) this.ring(id, {});
      for (const { runId, lastOwner } of change.payloads) {
        // Another live worker released this run and resumes it warm; a scan takes it if not.
        if (lastOwner === undefined || lastOwner === this.deps.owner || this.deps.held.holds(runId)) {
          this.ring(runId, { inbox: true });
        }
      }
      let expand = false;
      for (const id of change.cancels) {
        if (this.deps.held.holds(id)) this.ring(id, { cancel: true });
        // Cancelled directly by another process: its lifecycle deliveries are waiting in the outbox.
        else expand = true;
      }
      if (expand) this.recoverSoon();
      return;
    }
    this.deps.claims.scan();
    this.recoverSoon();
    if (this.deps.held.driven() === 0) return;
    void this.deps.store.ownedRunsWithWork(this.deps.owner).then(
      (ids) => {
        for (const id of ids) this.deps.held.kick(id, { inbox: true, cancel: true });
      },
      (err) =>
        this.deps.logger.warn("could not check held runs for new work", { error: serializeError(err) }),
    );
  }

  /** Lifecycle deliveries of runs cancelled by another process: looked for at most once a second. */
  private recoverSoon(): void {
    const now = Date.now();
    if (now - this.lastRecoverAt > 1000) {
      this.lastRecoverAt = now;
      this.deps.recoverDeliveries();
    }
  }
}
