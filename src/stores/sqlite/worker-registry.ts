import type Database from "better-sqlite3";
import { currentProcess, type ProcessIdentity, processGone } from "./process-liveness.js";

/**
 * How often claims look for holders that died, at most (ms). A claim at a process's start always
 * looks; after that, the worker's periodic scan (pollMs, 1 s) finds a neighbour that died.
 */
const LOOK_EVERY_MS = 200;

type Prepare = (sql: string) => Database.Statement;

/**
 * The `workers` table: which process each owner (`wkr_…`) that took a lease on this file runs in,
 * so that a run or an outbox delivery held by a process that no longer exists is taken over at once
 * instead of when its lease ends. Every call runs inside the store's write transaction.
 *
 * Leases stay the rule wherever liveness is unknown: without /proc (macOS, Windows), for a holder
 * on another machine or in another pid namespace, for a holder that is alive but frozen.
 */
export class WorkerRegistry {
  private readonly self: ProcessIdentity | undefined;
  private readonly mine = new Set<string>();
  private lastLook = 0;

  constructor(
    private readonly stmt: Prepare,
    enabled: boolean,
  ) {
    this.self = enabled ? currentProcess() : undefined;
  }

  /** Records that `owner` runs in this process, before it takes a lease. */
  register(owner: string, now: number): void {
    if (!this.self) return;
    // Not skipped when seen before: a batch rolled back and replayed must still write the row.
    this.stmt(
      "INSERT OR IGNORE INTO workers (owner, pid, started, machine, registered_at) VALUES (?, ?, ?, ?, ?)",
    ).run(owner, this.self.pid, this.self.started, this.self.machine, now);
    this.mine.add(owner);
  }

  /**
   * Ends the leases (runs and outbox deliveries) of workers whose process is gone, and drops their
   * rows; a run one of them released is no longer left to it (RELEASE_AFFINITY_MS). Returns how
   * many workers were found dead. Looks at most every LOOK_EVERY_MS.
   */
  endLeasesOfDead(): number {
    if (!this.self) return 0;
    const at = Date.now();
    if (at - this.lastLook < LOOK_EVERY_MS) return 0;
    this.lastLook = at;
    const rows = this.stmt("SELECT owner, pid, started, machine FROM workers").all() as {
      owner: string;
      pid: number;
      started: string;
      machine: string;
    }[];
    let dead = 0;
    for (const row of rows) {
      if (row.pid === this.self.pid && row.started === this.self.started) continue;
      if (!processGone(row)) continue;
      dead++;
      // 0 is before any clock's "now": the lease has ended for every claim, cancel and commit.
      this.stmt("UPDATE runs SET lease_until = 0 WHERE owner = ? AND lease_until > 0").run(row.owner);
      this.stmt("UPDATE outbox SET lease_until = 0 WHERE owner = ? AND lease_until > 0").run(row.owner);
      this.stmt(
        "UPDATE runs SET last_owner = NULL WHERE last_owner = ? AND owner IS NULL AND wake_at IS NOT NULL",
      ).run(row.owner);
      this.stmt("DELETE FROM workers WHERE owner = ?").run(row.owner);
    }
    return dead;
  }

  /** This process's rows, removed when its store closes (its claims were given back by then). */
  unregister(): void {
    for (const owner of this.mine) this.stmt("DELETE FROM workers WHERE owner = ?").run(owner);
    this.mine.clear();
  }
}
