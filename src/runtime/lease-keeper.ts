import type { Clock } from "../clock.js";
import { serializeError } from "../errors.js";
import type { Store } from "../store/store.js";
import type { Logger } from "./logger.js";

/** A run the worker drives, as the lease keeper sees it. */
export interface LeaseHolder {
  /** The commit that gives the run back (suspends or ends it) is out: no renewal needed. */
  readonly releasing: boolean;
  /** Stops driving without recording anything. */
  stop(reason: string): void;
}

export interface LeaseKeeperDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  owner: string;
  leaseMs: number;
  /** The runs driven now, by id. */
  held: () => ReadonlyMap<string, LeaseHolder>;
}

/**
 * Keeps the worker's claims alive: renews the leases of the runs it drives every third of a lease,
 * stops a run whose lease was lost (another worker may have taken it over), and gives every claim
 * back at once when the worker stops, so another worker continues them without waiting a lease.
 */
export class LeaseKeeper {
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(private readonly deps: LeaseKeeperDeps) {}

  start(): void {
    // A ref'd timer: it keeps the process alive while the worker runs; stopping the worker ends it.
    this.heartbeat = setInterval(() => void this.renew(), Math.max(50, Math.floor(this.deps.leaseMs / 3)));
  }

  stop(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  async renew(): Promise<void> {
    // The drivers as they were when the renewal went out: a "lost" answer concerns them only. A run
    // suspended meanwhile (owner released) and claimed again has a newer driver that holds it.
    // Runs being given back (a suspend or end commit out) need no renewal.
    const sent = new Map([...this.deps.held()].filter(([, d]) => !d.releasing));
    if (sent.size === 0) return;
    try {
      const lost = await this.deps.store.renewLeases(
        this.deps.owner,
        [...sent.keys()],
        this.deps.clock.now(),
        this.deps.leaseMs,
      );
      for (const id of lost) {
        const driver = sent.get(id);
        if (driver && this.deps.held().get(id) === driver) {
          this.deps.logger.warn(`run ${id}: lease lost; another worker may take it over`);
          driver.stop("lease lost");
        }
      }
    } catch (err) {
      this.deps.logger.warn("lease renewal failed", { error: serializeError(err) });
    }
  }

  /** Ends these claims now (the worker stops): another worker may take the runs at once. */
  async giveBack(runIds: string[]): Promise<void> {
    if (runIds.length === 0) return;
    await this.deps.store
      .renewLeases(this.deps.owner, runIds, this.deps.clock.now(), -1)
      .catch((err) =>
        this.deps.logger.warn("could not give back claims on stop", { error: serializeError(err) }),
      );
  }
}
