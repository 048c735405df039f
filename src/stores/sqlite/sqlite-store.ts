import type { EventRecord } from "../../replay/events.js";
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
} from "../../store/records.js";
import type { Store, StoreChange, WatchOptions } from "../../store/store.js";
import { cancelRun } from "./cancel.js";
import * as claims from "./claims.js";
import { commit } from "./commit.js";
import { SqliteConnection } from "./connection.js";
import { typeErrorsOf } from "./errors.js";
import * as listings from "./listings.js";
import { openDatabase } from "./open-database.js";
import * as resume from "./resume.js";
import * as runs from "./runs.js";

export interface SqliteStoreOptions {
  /**
   * "normal" (default): WAL with synchronous=NORMAL — a committed change survives a process crash;
   * a power loss may drop the last transactions. "full": synchronous=FULL, survives power loss too.
   */
  durability?: "normal" | "full";
  /** How often another process's writes are looked for, in ms (default 20). */
  watchIntervalMs?: number;
  /**
   * false: a file that does not exist is StoreNotFoundError, and no folder or file is made. For
   * processes that only read or resume (default true: a worker makes its database).
   */
  create?: boolean;
}

/**
 * The embedded default store: one SQLite file in WAL mode through better-sqlite3. Several processes
 * on one machine may share the file; each state change is one IMMEDIATE transaction. A run or a
 * lifecycle delivery held by a process that no longer exists is claimable at once, not when its
 * lease ends (Linux; see README.md in this folder).
 *
 * The class only composes: each concern lives in its own module of this folder (opening, runs,
 * commits, claims, resumes, cancels, listings), over one SqliteConnection.
 *
 * @example
 * const store = SqliteStore.open(".latch/latch.db");
 * const latch = await createLatch({ workflows, store });
 */
export class SqliteStore implements Store {
  readonly kind = "sqlite";
  readonly path: string;
  private readonly c: SqliteConnection;

  private constructor(c: SqliteConnection) {
    this.c = c;
    this.path = c.path;
  }

  /**
   * Opens (creating if needed, unless `create: false`) a Latch database. `path` is a file path or ":memory:".
   * @throws StoreNotFoundError with `create: false` when there is no file at `path`.
   * @throws StoreUnavailableError when the file or its folder cannot be written.
   * @throws NotALatchDatabaseError when the file is another kind of file or database.
   */
  static open(path: string, options: SqliteStoreOptions = {}): SqliteStore {
    const { file, db } = openDatabase(path, options);
    return new SqliteStore(new SqliteConnection(file, db, options.watchIntervalMs));
  }

  async createRun(run: NewRun): Promise<RunRecord> {
    return runs.createRun(this.c, run);
  }
  async getRun(runId: string): Promise<RunRecord | undefined> {
    return runs.getRun(this.c, runId);
  }
  async readEvents(runId: string, filter: EventFilter = {}): Promise<EventRecord[]> {
    return runs.readEvents(this.c, runId, filter);
  }

  async commit(batch: RunCommit[]): Promise<CommitResult[]> {
    return commit(this.c, batch);
  }

  async claimRuns(opts: claims.ClaimOptions & { ids?: string[] }): Promise<ClaimedRun[]> {
    return claims.claimRuns(this.c, opts);
  }
  async renewLeases(owner: string, runIds: string[], now: number, leaseMs: number): Promise<string[]> {
    return claims.renewLeases(this.c, owner, runIds, now, leaseMs);
  }
  async ownedRunsWithWork(owner: string): Promise<string[]> {
    return claims.ownedRunsWithWork(this.c, owner);
  }
  async nextWakeAt(): Promise<number | undefined> {
    return claims.nextWakeAt(this.c);
  }
  async registerWorkflows(names: string[], now: number): Promise<void> {
    return claims.registerWorkflows(this.c, names, now);
  }
  async claimOutbox(opts: claims.ClaimOptions): Promise<OutboxEntry[]> {
    return claims.claimOutbox(this.c, opts);
  }
  async ackOutbox(ids: string[]): Promise<void> {
    return claims.ackOutbox(this.c, ids);
  }

  async resumeHook(req: ResumeRequest): Promise<ResumeOutcome> {
    return resume.resumeHook(this.c, req);
  }
  async readInbox(runId: string): Promise<InboxRecord[]> {
    return resume.readInbox(this.c, runId);
  }
  async getInboxEntry(id: number): Promise<InboxEntry | undefined> {
    return resume.getInboxEntry(this.c, id);
  }
  async cancelRun(runId: string, now: number): Promise<CancelOutcome> {
    return cancelRun(this.c, runId, now);
  }

  async listRuns(filter: RunFilter): Promise<Page<RunRecord>> {
    return listings.listRuns(this.c, filter);
  }
  async countRuns(filter: RunCountFilter = {}): Promise<RunCounts> {
    return listings.countRuns(this.c, filter);
  }
  async getHook(token: string): Promise<HookRecord | undefined> {
    return listings.getHook(this.c, token);
  }
  async listHooks(filter: HookFilter): Promise<Page<HookRecord>> {
    return listings.listHooks(this.c, filter);
  }
  async countHooks(filter: HookCountFilter = {}): Promise<HookCounts> {
    return listings.countHooks(this.c, filter);
  }
  async listWorkflows(): Promise<string[]> {
    return listings.listWorkflows(this.c);
  }

  watch(listener: (change?: StoreChange) => void, _options?: WatchOptions): () => void {
    return this.c.watch(listener);
  }

  async close(): Promise<void> {
    return this.c.close();
  }
}

// A closed store or a damaged file answers with ClosedError / StoreUnavailableError from every
// method (the HTTP API's 503, the CLI's exit 7), never the driver's untyped TypeError.
typeErrorsOf(SqliteStore.prototype, [], (store: SqliteStore) => {
  const c = (store as unknown as { c: SqliteConnection }).c;
  return { file: c.path, closed: c.closed };
});
