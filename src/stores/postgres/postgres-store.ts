import type pg from "pg";
import {
  ClosedError,
  InvalidArgumentError,
  NotALatchDatabaseError,
  StoreConnectionError,
  StoreUnavailableError,
} from "../../errors.js";
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
import { decodeCursor, encodeCursor, pageSize } from "../paging.js";
import { hookCounts, newRunRecord, runCounts } from "../rows.js";
import { Batcher } from "./batcher.js";
import {
  checkSchema,
  createPool,
  DEFAULT_SCHEMA,
  mapPostgresError,
  type PostgresPoolOptions,
  type PostgresTarget,
  parsePostgresUrl,
} from "./connection.js";
import { ident, POSTGRES_MIGRATIONS, wakeChannel } from "./migrations/index.js";
import { type PostgresQueries, postgresQueries } from "./queries.js";
import {
  type Row,
  toClaimedInbox,
  toCommitJson,
  toHook,
  toInbox,
  toInboxEntry,
  toOutbox,
  toRun,
} from "./rows.js";
import { WakeListener } from "./wake-listener.js";

export interface PostgresStoreOptions extends PostgresPoolOptions {
  /**
   * The schema that holds Latch's tables and functions (default: the URL's `?schema=`, else
   * "latch"). Created and migrated on open. Several Latch deployments can share a database by
   * using different schemas.
   */
  schema?: string;
}

/** Tables a schema must not already have unless Latch made them. */
const OWN_TABLES = ["runs", "events", "hooks", "inbox", "workflows"];

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
  private readonly names = new Map<string, string>();
  private readonly listener: WakeListener;
  private readonly creates: Batcher<NewRun, boolean>;
  private readonly hookReads: Batcher<string, HookRecord | undefined>;
  private readonly resumes: Batcher<ResumeRequest, ResumeOutcome>;
  private closed = false;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly target: PostgresTarget,
    schema: string,
    connectionString: string,
    options: PostgresStoreOptions,
  ) {
    this.schema = schema;
    this.q = postgresQueries(schema);
    this.listener = new WakeListener(
      connectionString,
      wakeChannel(schema),
      options.connectTimeoutMs ?? 10_000,
    );
    const batching = { isConnectionError: (err: unknown) => StoreConnectionError.is(err) };
    this.creates = new Batcher((runs) => this.createRuns(runs), batching);
    this.hookReads = new Batcher((tokens) => this.getHooks(tokens), batching);
    this.resumes = new Batcher((reqs) => this.resumeHooks(reqs), batching);
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
      await store.migrate();
    } catch (err) {
      await pool.end().catch(() => {});
      throw mapPostgresError(err, parsed.target, "opening the store");
    }
    return store;
  }

  private async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      const version = Number((await client.query("SHOW server_version_num")).rows[0].server_version_num);
      if (version < 120000) {
        throw new StoreUnavailableError(
          `store: ${this.target.label} runs PostgreSQL ${Math.floor(version / 10000)}; Latch needs PostgreSQL 12 or newer. Upgrade the server.`,
        );
      }
      await client.query("BEGIN");
      // Workers starting together: one migrates, the others wait here and then find it done.
      await client.query("SELECT pg_advisory_xact_lock(hashtext('latch.migrate'), hashtext($1))", [
        this.schema,
      ]);
      const tables = new Set(
        (
          await client.query(
            `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')`,
            [this.schema],
          )
        ).rows.map((r) => r.relname as string),
      );
      let current = 0;
      if (tables.has("latch_migrations")) {
        const row = (
          await client.query(`SELECT max(version) AS v FROM ${ident(this.schema)}.latch_migrations`)
        ).rows[0];
        current = Number(row.v ?? 0);
      } else if (OWN_TABLES.some((t) => tables.has(t))) {
        throw new NotALatchDatabaseError(
          `store: the schema ${JSON.stringify(this.schema)} in ${this.target.label} has tables of another application ` +
            `(${OWN_TABLES.filter((t) => tables.has(t)).join(", ")}) and no Latch marker. ` +
            "Give Latch its own schema: add ?schema=latch_app to the postgres:// URL or pass { schema }.",
        );
      }
      if (current > POSTGRES_MIGRATIONS.length) {
        throw new NotALatchDatabaseError(
          `store: the schema ${JSON.stringify(this.schema)} has schema version ${current}, newer than this Latch knows (${POSTGRES_MIGRATIONS.length}). Upgrade latch.`,
        );
      }
      if (current < POSTGRES_MIGRATIONS.length) {
        const s = ident(this.schema);
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
        await client.query(
          `CREATE TABLE IF NOT EXISTS ${s}.latch_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
        );
        for (let v = current; v < POSTGRES_MIGRATIONS.length; v++) {
          await client.query(POSTGRES_MIGRATIONS[v]!(this.schema));
          await client.query(`INSERT INTO ${s}.latch_migrations (version) VALUES ($1)`, [v + 1]);
        }
      }
      await client.query("COMMIT");
    } catch (err) {
      await client.query("ROLLBACK").catch(() => {});
      if ((err as { code?: string }).code === "42501") {
        throw new StoreUnavailableError(
          `store: user ${JSON.stringify(this.target.user)} may not create the schema ${JSON.stringify(this.schema)} in ${this.target.label}. ` +
            `Create it once as an owner (CREATE SCHEMA ${this.schema} AUTHORIZATION ${this.target.user}) or grant CREATE on the database.`,
          { cause: err },
        );
      }
      throw err;
    } finally {
      client.release();
    }
  }

  /**
   * Runs a statement. Fixed key lookups are named prepared statements (parsed once per connection);
   * `planEachTime` ones (claims, listings) are planned with their actual values every time, so a
   * plan made while the tables were small and had no statistics is never kept.
   */
  private async run(
    operation: string,
    text: string,
    values: unknown[],
    planEachTime = false,
  ): Promise<Row[]> {
    this.assertOpen(operation);
    let name: string | undefined;
    if (!planEachTime) {
      name = this.names.get(text);
      if (!name) {
        name = `latch_${this.names.size}`;
        this.names.set(text, name);
      }
    }
    try {
      return (await this.pool.query({ name, text, values })).rows;
    } catch (err) {
      throw mapPostgresError(err, this.target, operation);
    }
  }

  /** Batched: concurrent calls share one statement (see Batcher). */
  async createRun(run: NewRun): Promise<RunRecord> {
    this.assertOpen("createRun");
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
    const json = [...first.values()].map((r) => ({
      id: r.id,
      workflow: r.workflow,
      version: r.version ?? null,
      input: r.input ?? null,
      now: r.now,
      event: JSON.stringify({
        type: "run.created",
        workflow: r.workflow,
        version: r.version,
        input: r.input,
      } satisfies LatchEvent),
    }));
    const [row] = await this.run("createRun", this.q.createRuns, [JSON.stringify(json)]);
    const created = new Set(row!.r as string[]);
    return runs.map((r) => first.get(r.id) === r && created.has(r.id));
  }

  private assertOpen(operation: string): void {
    if (this.closed) {
      throw new ClosedError(`store: ${operation} was called after the PostgreSQL store was closed`);
    }
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    const [row] = await this.run("getRun", this.q.getRun, [runId]);
    return row ? toRun(row) : undefined;
  }

  async listRuns(filter: RunFilter): Promise<Page<RunRecord>> {
    const where: string[] = [];
    const args: unknown[] = [];
    const statuses =
      filter.status === undefined ? [] : Array.isArray(filter.status) ? filter.status : [filter.status];
    if (statuses.length) where.push(`status = ANY($${args.push(statuses)}::text[])`);
    if (filter.workflow) where.push(`workflow = $${args.push(filter.workflow)}`);
    return this.page("listRuns", this.q.runsTable, where, args, filter, toRun, (r) => [r.createdAt, r.id]);
  }

  async countRuns(filter: RunCountFilter = {}): Promise<RunCounts> {
    const where: string[] = [];
    const args: unknown[] = [];
    const statuses =
      filter.status === undefined ? [] : Array.isArray(filter.status) ? filter.status : [filter.status];
    if (statuses.length) where.push(`status = ANY($${args.push(statuses)}::text[])`);
    if (filter.workflow) where.push(`workflow = $${args.push(filter.workflow)}`);
    return runCounts(await this.count("countRuns", this.q.runsTable, where, args));
  }

  /** `status, n` rows of the matching rows of `table`, planned with the actual filter every time. */
  private count(operation: string, table: string, where: string[], args: unknown[]): Promise<Row[]> {
    const clause = where.length ? `WHERE ${where.join(" AND ")}` : "";
    return this.run(
      operation,
      `SELECT status, count(*) AS n FROM ${table} ${clause} GROUP BY status`,
      args,
      true,
    );
  }

  async readEvents(runId: string, filter: EventFilter = {}): Promise<EventRecord[]> {
    const rows = await this.run("readEvents", this.q.readEvents, [
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
        : await this.run("claimRuns", this.q.claimRunsById, [
            opts.now,
            opts.workflows,
            opts.ids.slice(0, opts.limit),
            opts.owner,
            opts.leaseMs,
          ])
      : await this.run(
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
      (await this.run("renewLeases", this.q.renewLeases, [now + leaseMs, runIds, owner])).map((r) => r.id),
    );
    return runIds.filter((id) => !held.has(id));
  }

  async ownedRunsWithWork(owner: string): Promise<string[]> {
    return (await this.run("ownedRunsWithWork", this.q.ownedRunsWithWork, [owner])).map((r) => r.id);
  }

  async commit(batch: RunCommit[]): Promise<CommitResult[]> {
    if (batch.length === 0) return [];
    const [row] = await this.run("commit", this.q.commit, [JSON.stringify(batch.map(toCommitJson))]);
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
    const rows = await this.run(
      "claimOutbox",
      this.q.claimOutbox,
      [opts.now, opts.workflows, opts.limit, opts.owner, opts.leaseMs],
      true,
    );
    return rows.map(toOutbox).sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
  }

  async ackOutbox(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.run("ackOutbox", this.q.ackOutbox, [ids]);
  }

  async getInboxEntry(id: number): Promise<InboxEntry | undefined> {
    const [row] = await this.run("getInboxEntry", this.q.getInboxEntry, [id]);
    return row ? toInboxEntry(row) : undefined;
  }

  async readInbox(runId: string): Promise<InboxRecord[]> {
    return (await this.run("readInbox", this.q.readInbox, [runId])).map(toInbox);
  }

  async registerWorkflows(names: string[], now: number): Promise<void> {
    if (names.length === 0) return;
    await this.run("registerWorkflows", this.q.registerWorkflows, [names, now]);
  }

  async listWorkflows(): Promise<string[]> {
    return (await this.run("listWorkflows", this.q.listWorkflows, [])).map((r) => r.name);
  }

  async nextWakeAt(): Promise<number | undefined> {
    const [row] = await this.run("nextWakeAt", this.q.nextWakeAt, []);
    return row?.t ?? undefined;
  }

  /** Batched: concurrent calls share one statement (see Batcher). */
  async getHook(token: string): Promise<HookRecord | undefined> {
    this.assertOpen("getHook");
    return this.hookReads.add(token);
  }

  async listHooks(filter: HookFilter): Promise<Page<HookRecord>> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.status) where.push(`status = $${args.push(filter.status)}`);
    if (filter.runId) where.push(`run_id = $${args.push(filter.runId)}`);
    if (filter.name) where.push(`name = $${args.push(filter.name)}`);
    return this.page("listHooks", this.q.hooksTable, where, args, filter, toHook, (h) => [
      h.createdAt,
      h.hookId,
    ]);
  }

  async countHooks(filter: HookCountFilter = {}): Promise<HookCounts> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.status) where.push(`status = $${args.push(filter.status)}`);
    if (filter.runId) where.push(`run_id = $${args.push(filter.runId)}`);
    if (filter.name) where.push(`name = $${args.push(filter.name)}`);
    return hookCounts(await this.count("countHooks", this.q.hooksTable, where, args));
  }

  /** One keyset page, newest first, of `table` rows matching `where` (shared by the listings). */
  private async page<T>(
    operation: string,
    table: string,
    where: string[],
    args: unknown[],
    filter: { cursor?: string; limit?: number },
    map: (row: any) => T,
    key: (item: T) => [number, string],
  ): Promise<Page<T>> {
    const cursor = decodeCursor(filter.cursor);
    if (cursor) {
      const at = args.push(cursor.at);
      where.push(`(created_at < $${at} OR (created_at = $${at} AND id < $${args.push(cursor.id)}))`);
    }
    const limit = pageSize(filter.limit);
    const rows = await this.run(
      operation,
      `SELECT * FROM ${table} ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
        ORDER BY created_at DESC, id DESC LIMIT $${args.push(limit + 1)}`,
      args,
      true,
    );
    const items = rows.slice(0, limit).map(map);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeCursor(...key(last)) : undefined };
  }

  /** Batched: concurrent calls share one statement and one transaction (see Batcher). */
  async resumeHook(req: ResumeRequest): Promise<ResumeOutcome> {
    this.assertOpen("resumeHook");
    const out = await this.resumes.add(req);
    if (out.status === "expired" && (out as { expiredAt?: number | null }).expiredAt == null)
      delete out.expiredAt;
    // Only for the notification resume_hooks sends.
    delete (out as { lastOwner?: string }).lastOwner;
    return out;
  }

  private async getHooks(tokens: string[]): Promise<(HookRecord | undefined)[]> {
    const rows = await this.run("getHook", this.q.getHooks, [[...new Set(tokens)]]);
    const byToken = new Map(rows.map((r) => [r.token as string, toHook(r)]));
    return tokens.map((t) => byToken.get(t));
  }

  private async resumeHooks(reqs: ResumeRequest[]): Promise<ResumeOutcome[]> {
    const json = reqs.map((r) => ({
      token: r.token,
      payload: r.payload ?? null,
      key: r.idempotencyKey ?? null,
      keep: r.ifMissing === "keep",
      now: r.now,
      check: r.check ?? null,
      sender: r.by || r.channel ? { by: r.by, channel: r.channel } : null,
    }));
    const [row] = await this.run("resumeHook", this.q.resumeHooks, [JSON.stringify(json)]);
    return (row!.r as (ResumeOutcome | { status: "validate"; hook: Row })[]).map((out) =>
      out.status === "validate" ? { status: "validate", hook: toHook(out.hook) } : out,
    );
  }

  async cancelRun(runId: string, now: number): Promise<CancelOutcome> {
    const [row] = await this.run("cancelRun", this.q.cancelRun, [runId, now]);
    const out = row!.r as { status: CancelOutcome["status"]; run?: Row };
    if (out.status === "not_found") return { status: "not_found" };
    return { status: out.status, run: toRun(out.run!) };
  }

  /**
   * Rings on every run created, payload accepted and cancel requested by any process on this
   * schema (this one included), delivered once per burst with the runs named.
   */
  watch(listener: (change?: StoreChange) => void, options: WatchOptions = {}): () => void {
    if (this.closed) return () => {};
    return this.listener.add(listener, options.owner);
  }

  /** Resolves once this store's LISTEN connection is up, if `watch` was called (tests wait on it). */
  listening(): Promise<void> {
    return this.listener.ready();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.listener.stop();
    await this.pool.end();
  }
}
