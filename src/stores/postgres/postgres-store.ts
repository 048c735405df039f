import type pg from "pg";
import { ClosedError, InvalidArgumentError, StoreConnectionError } from "../../errors.js";
import type { EventRecord, LatchEvent } from "../../replay/events.js";
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
import { GroupCommit } from "../group-commit.js";
import { countStatement, type Listing, POSTGRES_PLACEHOLDER, pageStatement } from "../listing.js";
import { toOutboxEntries } from "../outbox.js";
import { hookCounts, newRunRecord, runCounts } from "../rows.js";
import {
  checkSchema,
  createPool,
  DEFAULT_SCHEMA,
  mapPostgresError,
  type PostgresPoolOptions,
  type PostgresTarget,
  parsePostgresUrl,
} from "./connection.js";
import { migrate } from "./migrate.js";
import { wakeChannel } from "./migrations/index.js";
import { type PostgresQueries, postgresQueries } from "./queries.js";
import {
  type Row,
  toClaimedInbox,
  toCommitJson,
  toCreateJson,
  toHook,
  toInbox,
  toInboxEntry,
  toResumeJson,
  toResumeOutcome,
  toRun,
} from "./rows.js";
import { Statements } from "./statements.js";
import { WakeListener } from "./wake-listener.js";

export interface PostgresStoreOptions extends PostgresPoolOptions {
  /**
   * The schema that holds Latch's tables and functions (default: the URL's `?schema=`, else
   * "latch"). Created and migrated on open. Several Latch deployments can share a database by
   * using different schemas.
   */
  schema?: string;
}

/**
 * The scale-out store: many worker processes on many machines share one PostgreSQL database.
 * Claims use `FOR UPDATE SKIP LOCKED` with leases, idle workers are woken by LISTEN/NOTIFY, and
 * every state change is one statement (one transaction, one round trip) — see README.md.
 *
 * @example
 * const store = await PostgresStore.open("postgres://latch:secret@db:5432/app");
 * const latch = await createLatch({ workflows, store });
 */
export class PostgresStore implements Store {
  readonly kind = "postgres";
  readonly schema: string;
  private readonly q: PostgresQueries;
  private readonly listener: WakeListener;
  private readonly creates: GroupCommit<NewRun, boolean>;
  private readonly hookReads: GroupCommit<string, HookRecord | undefined>;
  private readonly resumes: GroupCommit<ResumeRequest, ResumeOutcome>;
  private readonly db: Statements;
  private closing: Promise<void> | undefined;

  private constructor(
    pool: pg.Pool,
    target: PostgresTarget,
    schema: string,
    connectionString: string,
    options: PostgresStoreOptions,
  ) {
    this.db = new Statements(pool, target);
    this.schema = schema;
    this.q = postgresQueries(schema);
    this.listener = new WakeListener(
      connectionString,
      wakeChannel(schema),
      options.connectTimeoutMs ?? 10_000,
    );
    // A batch that fails for another reason than a lost connection (or a closed store) is sent
    // again item by item, so one bad call fails only itself.
    const batching = {
      retryAlone: (err: unknown) => !StoreConnectionError.is(err) && !ClosedError.is(err),
    };
    this.creates = new GroupCommit((runs: NewRun[]) => this.createRuns(runs), batching);
    this.hookReads = new GroupCommit((tokens: string[]) => this.getHooks(tokens), batching);
    this.resumes = new GroupCommit((reqs: ResumeRequest[]) => this.resumeHooks(reqs), batching);
  }

  /**
   * Connects, creates the schema if needed and applies any missing migrations.
   * @throws InvalidArgumentError for a malformed URL or schema name.
   * @throws StoreUnavailableError when the server cannot be reached or refuses the login.
   * @throws NotALatchDatabaseError when the schema holds another application's tables or a newer Latch's.
   */
  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const parsed = parsePostgresUrl(url);
    const schema = checkSchema(options.schema ?? parsed.schema ?? DEFAULT_SCHEMA);
    const pool = createPool(parsed.connectionString, { connectTimeoutMs: 10_000, ...options });
    const store = new PostgresStore(pool, parsed.target, schema, parsed.connectionString, options);
    try {
      await migrate(pool, schema, parsed.target);
    } catch (err) {
      await pool.end().catch(() => {});
      throw mapPostgresError(err, parsed.target, "opening the store");
    }
    return store;
  }

  /** Batched: concurrent calls share one statement (see GroupCommit). */
  async createRun(run: NewRun): Promise<RunRecord> {
    this.db.assertOpen("createRun");
    if (!(await this.creates.add(run))) {
      throw new InvalidArgumentError(
        "id",
        `a run with the id ${JSON.stringify(run.id)} exists already`,
        "Give each run its own id (leave it out and Latch makes one).",
      );
    }
    return newRunRecord(run);
  }

  /** Sends a batch of creates; answers whether each run was created (false: the id exists). */
  private async createRuns(runs: NewRun[]): Promise<boolean[]> {
    // An id twice in one batch: the first creates the run, the second finds it there.
    const first = new Map<string, NewRun>();
    for (const r of runs) if (!first.has(r.id)) first.set(r.id, r);
    const json = [...first.values()].map(toCreateJson);
    const [row] = await this.db.run("createRun", this.q.createRuns, [JSON.stringify(json)]);
    const created = new Set(row!.r as string[]);
    return runs.map((r) => first.get(r.id) === r && created.has(r.id));
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    const [row] = await this.db.run("getRun", this.q.getRun, [runId]);
    return row ? toRun(row) : undefined;
  }

  async listRuns(filter: RunFilter): Promise<Page<RunRecord>> {
    return this.page("listRuns", { kind: "runs", table: this.q.runsTable, filter }, toRun);
  }

  async countRuns(filter: RunCountFilter = {}): Promise<RunCounts> {
    return runCounts(await this.count("countRuns", { kind: "runs", table: this.q.runsTable, filter }));
  }

  /** `status, n` rows of the matching rows, planned with the actual filter every time. */
  private count(operation: string, listing: Listing): Promise<Row[]> {
    const s = countStatement(listing, POSTGRES_PLACEHOLDER);
    return this.db.run(operation, s.text, s.args, true);
  }

  /** One keyset page, newest first, planned with the actual filter every time. */
  private async page<T>(operation: string, listing: Listing, map: (row: Row) => T): Promise<Page<T>> {
    const s = pageStatement(listing, POSTGRES_PLACEHOLDER);
    return s.page(await this.db.run(operation, s.text, s.args, true), map);
  }

  async readEvents(runId: string, filter: EventFilter = {}): Promise<EventRecord[]> {
    const rows = await this.db.run("readEvents", this.q.readEvents, [
      runId,
      filter.afterSeq ?? 0,
      filter.typePrefix ?? null,
      filter.limit ?? null,
    ]);
    return rows.map((r) => ({ ...(JSON.parse(r.data) as LatchEvent), seq: r.seq, at: Number(r.at) }));
  }

  async claimRuns(opts: {
    owner: string;
    now: number;
    leaseMs: number;
    limit: number;
    workflows: string[];
    ids?: string[];
  }): Promise<ClaimedRun[]> {
    if (opts.workflows.length === 0 || opts.limit < 1) return [];
    const rows = opts.ids
      ? opts.ids.length === 0
        ? []
        : await this.db.run("claimRuns", this.q.claimRunsById, [
            opts.now,
            opts.workflows,
            opts.ids.slice(0, opts.limit),
            opts.owner,
            opts.leaseMs,
          ])
      : await this.db.run(
          "claimRuns",
          this.q.claimRuns,
          [opts.now, opts.workflows, opts.limit, opts.owner, opts.leaseMs],
          true,
        );
    return rows.map((row) => ({
      run: toRun(row),
      recovered: row.recovered === true,
      inbox: toClaimedInbox(row.id, row.inbox),
    }));
  }

  async renewLeases(owner: string, runIds: string[], now: number, leaseMs: number): Promise<string[]> {
    if (runIds.length === 0) return [];
    const held = new Set(
      (await this.db.run("renewLeases", this.q.renewLeases, [now + leaseMs, runIds, owner])).map((r) => r.id),
    );
    return runIds.filter((id) => !held.has(id));
  }

  async ownedRunsWithWork(owner: string): Promise<string[]> {
    return (await this.db.run("ownedRunsWithWork", this.q.ownedRunsWithWork, [owner])).map((r) => r.id);
  }

  async commit(batch: RunCommit[]): Promise<CommitResult[]> {
    if (batch.length === 0) return [];
    const [row] = await this.db.run("commit", this.q.commit, [JSON.stringify(batch.map(toCommitJson))]);
    return row!.r as CommitResult[];
  }

  async claimOutbox(opts: {
    owner: string;
    now: number;
    leaseMs: number;
    limit: number;
    workflows: string[];
  }): Promise<OutboxEntry[]> {
    if (opts.workflows.length === 0 || opts.limit < 1) return [];
    const rows = await this.db.run(
      "claimOutbox",
      this.q.claimOutbox,
      [opts.now, opts.workflows, opts.limit, opts.owner, opts.leaseMs],
      true,
    );
    return toOutboxEntries(rows);
  }

  async ackOutbox(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db.run("ackOutbox", this.q.ackOutbox, [ids]);
  }

  async getInboxEntry(id: number): Promise<InboxEntry | undefined> {
    const [row] = await this.db.run("getInboxEntry", this.q.getInboxEntry, [id]);
    return row ? toInboxEntry(row) : undefined;
  }

  async readInbox(runId: string): Promise<InboxRecord[]> {
    return (await this.db.run("readInbox", this.q.readInbox, [runId])).map(toInbox);
  }

  async registerWorkflows(names: string[], now: number): Promise<void> {
    if (names.length === 0) return;
    await this.db.run("registerWorkflows", this.q.registerWorkflows, [names, now]);
  }

  async listWorkflows(): Promise<string[]> {
    return (await this.db.run("listWorkflows", this.q.listWorkflows, [])).map((r) => r.name);
  }

  async nextWakeAt(): Promise<number | undefined> {
    const [row] = await this.db.run("nextWakeAt", this.q.nextWakeAt, []);
    return row?.t ?? undefined;
  }

  /** Batched: concurrent calls share one statement (see GroupCommit). */
  async getHook(token: string): Promise<HookRecord | undefined> {
    this.db.assertOpen("getHook");
    return this.hookReads.add(token);
  }

  async listHooks(filter: HookFilter): Promise<Page<HookRecord>> {
    return this.page("listHooks", { kind: "hooks", table: this.q.hooksTable, filter }, toHook);
  }

  async countHooks(filter: HookCountFilter = {}): Promise<HookCounts> {
    return hookCounts(await this.count("countHooks", { kind: "hooks", table: this.q.hooksTable, filter }));
  }

  /** Batched: concurrent calls share one statement and one transaction (see GroupCommit). */
  async resumeHook(req: ResumeRequest): Promise<ResumeOutcome> {
    this.db.assertOpen("resumeHook");
    return this.resumes.add(req);
  }

  private async getHooks(tokens: string[]): Promise<(HookRecord | undefined)[]> {
    const rows = await this.db.run("getHook", this.q.getHooks, [[...new Set(tokens)]]);
    const byToken = new Map(rows.map((r) => [r.token as string, toHook(r)]));
    return tokens.map((t) => byToken.get(t));
  }

  private async resumeHooks(reqs: ResumeRequest[]): Promise<ResumeOutcome[]> {
    const [row] = await this.db.run("resumeHook", this.q.resumeHooks, [
      JSON.stringify(reqs.map(toResumeJson)),
    ]);
    return (row!.r as Row[]).map(toResumeOutcome);
  }

  async cancelRun(runId: string, now: number): Promise<CancelOutcome> {
    const [row] = await this.db.run("cancelRun", this.q.cancelRun, [runId, now]);
    const out = row!.r as { status: CancelOutcome["status"]; run?: Row };
    if (out.status === "not_found") return { status: "not_found" };
    return { status: out.status, run: toRun(out.run!) };
  }

  /**
   * Rings on every run created, payload accepted and cancel requested by any process on this
   * schema (this one included), delivered once per burst with the runs named.
   */
  watch(listener: (change?: StoreChange) => void, options: WatchOptions = {}): () => void {
    if (this.db.isClosed) return () => {};
    return this.listener.add(listener, options.owner);
  }

  /** Resolves once this store's LISTEN connection is up, if `watch` was called (tests wait on it). */
  listening(): Promise<void> {
    return this.listener.ready();
  }

  close(): Promise<void> {
    // Calls are refused at once; the LISTEN connection (how other workers see this one is alive)
    // ends before the pool does.
    this.closing ??= (async () => {
      this.db.refuse();
      await this.listener.stop();
      await this.db.close();
    })();
    return this.closing;
  }
}
