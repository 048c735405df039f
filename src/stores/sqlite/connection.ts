import type Database from "better-sqlite3";
import { ClosedError } from "../../errors.js";
import type { StoreChange } from "../../store/store.js";
import { GroupCommit, type Settled } from "../group-commit.js";
import { WorkerRegistry } from "./worker-registry.js";

type Write = () => unknown;

/**
 * One open database as the SQLite store's parts use it: cached statements, the write queue, the
 * worker registry, and the watchers to ring. Every state change goes through `write`.
 */
export class SqliteConnection {
  private readonly stmts = new Map<string, Database.Statement>();
  private readonly writes: GroupCommit<Write, unknown>;
  private readonly listeners = new Set<(change?: StoreChange) => void>();
  private watchTimer: NodeJS.Timeout | undefined;
  private dataVersion: number;
  private closing: Promise<void> | undefined;
  closed = false;
  /** Which process holds what: a dead holder's leases end at once (see worker-registry.ts). */
  readonly workers: WorkerRegistry;

  constructor(
    readonly path: string,
    readonly db: Database.Database,
    private readonly watchIntervalMs = 20,
  ) {
    // A memory database has one process by definition.
    this.workers = new WorkerRegistry((sql) => this.stmt(sql), path !== ":memory:");
    this.dataVersion = db.pragma("data_version", { simple: true }) as number;
    // Group commit: every write asked for in one turn of the event loop runs in ONE IMMEDIATE
    // transaction (with thousands of runs in flight, thousands of commits become a handful). No
    // savepoints on the fast path; when a write throws, the batch rolls back and runs again with
    // each write in its own savepoint, so only the faulty one fails.
    this.writes = new GroupCommit((jobs) => this.runAll(jobs), {
      collect: "turn",
      maxBatch: Number.POSITIVE_INFINITY,
      retryAlone: (err) => !ClosedError.is(err),
      sendEach: (jobs) => this.runEach(jobs),
    });
  }

  /** A prepared statement, prepared once per connection. */
  stmt(sql: string): Database.Statement {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }

  /** Runs `fn` in the write transaction of this turn; resolves with what it returned. */
  write<T>(fn: () => T): Promise<T> {
    return this.writes.add(fn) as Promise<T>;
  }

  private runAll(jobs: Write[]): unknown[] {
    this.assertOpen();
    let out: unknown[] = [];
    this.db
      .transaction(() => {
        out = jobs.map((job) => job());
      })
      .immediate();
    return out;
  }

  private runEach(jobs: Write[]): Settled<unknown>[] {
    this.assertOpen();
    const out: Settled<unknown>[] = [];
    this.db
      .transaction(() => {
        for (const job of jobs) {
          try {
            out.push({ ok: true, value: this.db.transaction(job)() });
          } catch (error) {
            out.push({ ok: false, error });
          }
        }
      })
      .immediate();
    return out;
  }

  private assertOpen(): void {
    if (this.closed) throw new ClosedError("the store was closed before this write ran");
  }

  /**
   * Calls `listener` when another process committed (`PRAGMA data_version` moves only for other
   * connections' commits: a cheap cross-process doorbell, looked at every watchIntervalMs), and
   * when `ring` is called. Returns the unsubscribe function.
   */
  watch(listener: (change?: StoreChange) => void): () => void {
    this.listeners.add(listener);
    if (!this.watchTimer && this.path !== ":memory:") {
      this.watchTimer = setInterval(() => this.poll(), this.watchIntervalMs);
      this.watchTimer.unref();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.watchTimer) {
        clearInterval(this.watchTimer);
        this.watchTimer = undefined;
      }
    };
  }

  /** Rings every watcher on the next turn (after the write that asked has committed). */
  ring(): void {
    setImmediate(() => {
      if (!this.closed) for (const l of this.listeners) l();
    });
  }

  private poll(): void {
    if (this.closed) return;
    const v = this.db.pragma("data_version", { simple: true }) as number;
    if (v === this.dataVersion) return;
    this.dataVersion = v;
    for (const l of this.listeners) l();
  }

  /** Lets the queued writes finish, gives this process's worker rows back, and closes the file. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.writes.drain();
      try {
        this.workers.unregister();
      } catch {
        // Busy or read-only: the row stays until a claim finds this process gone.
      }
      this.closed = true;
      if (this.watchTimer) clearInterval(this.watchTimer);
      this.listeners.clear();
      this.db.close();
    })();
    return this.closing;
  }
}
