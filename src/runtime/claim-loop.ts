import type { Clock } from "../clock.js";
import { serializeError } from "../errors.js";
import type { ClaimedRun } from "../store/records.js";
import type { Store } from "../store/store.js";
import type { Logger } from "./logger.js";

export interface ClaimLoopDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  owner: string;
  leaseMs: number;
  /** Runs claimed per query. */
  claimBatch: number;
  /** The workflows this worker runs: only their runs are claimed. */
  workflowNames: () => string[];
  /** Whether this worker holds the run already (being loaded or driven): never claimed twice. */
  holds(runId: string): boolean;
  /** How many more runs the worker takes now (its concurrency less the runs it holds). */
  room(): number;
  /** A run was claimed: drive it. */
  onClaimed(claim: ClaimedRun): void;
  /** A round of claims ended with nothing left to claim. */
  onQuiet(): void;
}

/**
 * Decides when the worker claims and what: runs named by a doorbell (claimed by id, no scan), or
 * any due run (a scan: at start, on a timer, on a poll, on a doorbell that names nothing). Requests
 * made while a claim is out are folded into one more round; one timer is kept, for the earliest
 * time the store says a run falls due.
 */
export class ClaimLoop {
  /** Runs a doorbell named that this worker does not hold: claimed by id, no scan needed. */
  private readonly wanted = new Set<string>();
  /** A claim that looks for any due run is needed. */
  private scanDue = false;
  /** The last claim stopped at the concurrency limit: look again when a run is given back. */
  private saturated = false;
  private inFlight = false;
  private again = false;
  private running = false;
  private cancelTimer: (() => void) | undefined;
  private timerAt: number | undefined;

  constructor(private readonly deps: ClaimLoopDeps) {}

  start(): void {
    this.running = true;
    this.scan();
  }

  stop(): void {
    this.running = false;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.timerAt = undefined;
  }

  /** A claim is under way. */
  get claiming(): boolean {
    return this.inFlight;
  }

  /** A claim is under way or another round is due. */
  get busy(): boolean {
    return this.inFlight || this.again;
  }

  /** Claims this run by id (a doorbell named it and the worker does not hold it). */
  want(runId: string): void {
    this.wanted.add(runId);
    this.schedule(false);
  }

  /** Claims any due run. */
  scan(): void {
    this.schedule(true);
  }

  /** A scan at `at`, unless one is set for earlier already. */
  scanAt(at: number): void {
    if (!this.running || (this.timerAt !== undefined && this.timerAt <= at)) return;
    this.cancelTimer?.();
    this.timerAt = at;
    this.cancelTimer = this.deps.clock.setTimer(at, () => {
      this.timerAt = undefined;
      this.cancelTimer = undefined;
      this.scan();
    });
  }

  /** The worker gave a run back: if the last claim stopped at the concurrency limit, look again. */
  released(): void {
    if (!this.saturated) return;
    this.saturated = false;
    this.scan();
  }

  private schedule(scan: boolean): void {
    if (!this.running) return;
    if (scan) this.scanDue = true;
    if (this.inFlight) {
      this.again = true;
      return;
    }
    this.inFlight = true;
    setImmediate(() => void this.loop());
  }

  private async loop(): Promise<void> {
    let scanned = false;
    try {
      do {
        this.again = false;
        await this.claimWanted();
        if (this.scanDue) {
          this.scanDue = false;
          scanned = true;
          await this.claimAny();
        }
      } while (this.again && this.running);
      // Sets the timer to the earliest due run the store knows of (runs released with a timer, leases that end).
      if (scanned && this.running) {
        const next = await this.deps.store.nextWakeAt();
        if (next !== undefined) this.scanAt(next);
      }
    } catch (err) {
      this.deps.logger.error("claiming runs failed; retrying in 1s", { error: serializeError(err) });
      this.scanAt(this.deps.clock.now() + 1000);
    } finally {
      this.inFlight = false;
      if (this.again) this.schedule(false);
      else this.deps.onQuiet();
    }
  }

  private async claimWanted(): Promise<void> {
    while (this.running && this.wanted.size > 0) {
      const room = Math.min(this.deps.claimBatch, this.deps.room());
      if (room <= 0) {
        this.saturated = true;
        return;
      }
      const ids: string[] = [];
      for (const id of this.wanted) {
        this.wanted.delete(id);
        if (!this.deps.holds(id)) ids.push(id);
        if (ids.length === room) break;
      }
      if (ids.length === 0) return;
      for (const c of await this.claim(ids.length, ids)) this.deps.onClaimed(c);
    }
  }

  private async claimAny(): Promise<void> {
    while (this.running) {
      const limit = Math.min(this.deps.claimBatch, this.deps.room());
      if (limit <= 0) {
        this.saturated = true;
        return;
      }
      const claimed = await this.claim(limit);
      for (const c of claimed) this.deps.onClaimed(c);
      if (claimed.length < limit) return;
    }
  }

  private claim(limit: number, ids?: string[]): Promise<ClaimedRun[]> {
    return this.deps.store.claimRuns({
      owner: this.deps.owner,
      now: this.deps.clock.now(),
      leaseMs: this.deps.leaseMs,
      workflows: this.deps.workflowNames(),
      limit,
      ...(ids ? { ids } : {}),
    });
  }
}
