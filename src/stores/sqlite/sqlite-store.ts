import { accessSync, constants, existsSync, mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import Database from "better-sqlite3";
import {
  ClosedError,
  NotALatchDatabaseError,
  StoreNotFoundError,
  StoreUnavailableError,
} from "../../errors.js";
import type { EventRecord, LatchEvent } from "../../replay/events.js";
import {
  type CancelOutcome,
  type ClaimedRun,
  type CommitResult,
  type EventFilter,
  type HookCountFilter,
  type HookCounts,
  type HookFilter,
  type HookRecord,
  type InboxEntry,
  type InboxRecord,
  isTerminal,
  type NewRun,
  type OutboxEntry,
  type Page,
  RELEASE_AFFINITY_MS,
  type ResumeOutcome,
  type ResumeRequest,
  type RunCommit,
  type RunCountFilter,
  type RunCounts,
  type RunFilter,
  type RunRecord,
} from "../../store/records.js";
import type { Store, StoreChange, WatchOptions } from "../../store/store.js";
import { hookChanges, takenTokens } from "../hook-changes.js";
import { decodeCursor, encodeCursor, pageSize } from "../paging.js";
import {
  hookCounts,
  newRunRecord,
  type Row,
  runCounts,
  senderColumn,
  toHook,
  toInbox,
  toInboxEntry,
  toOutbox,
  toRun,
} from "../rows.js";
import { typeErrorsOf } from "./errors.js";
import { SQLITE_MIGRATIONS } from "./migrations.js";
import { WorkerRegistry } from "./worker-registry.js";

/** How long the committing process has to confirm a lifecycle delivery before others retry it. */
const OUTBOX_LEASE_MS = 30_000;

/** Written to `PRAGMA application_id` so a Latch database is recognisable ("LATC"). */
const APPLICATION_ID = 0x4c415443;

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
 * @example
 * const store = SqliteStore.open(".latch/latch.db");
 * const latch = await createLatch({ workflows, store });
 */
export class SqliteStore implements Store {
  readonly kind = "sqlite";
  readonly path: string;
  private readonly db: Database.Database;
  private readonly stmts = new Map<string, Database.Statement>();
  private readonly listeners = new Set<(change?: StoreChange) => void>();
  private watchTimer: NodeJS.Timeout | undefined;
  private writes: { fn: () => unknown; resolve(v: unknown): void; reject(e: unknown): void }[] = [];
  private flushScheduled = false;
  private dataVersion = 0;
  private closed = false;
  /** Which process holds what: a dead holder's leases end at once (see worker-registry.ts). */
  private readonly workers: WorkerRegistry;

  private constructor(
    path: string,
    db: Database.Database,
    private readonly options: SqliteStoreOptions,
  ) {
    this.path = path;
    this.db = db;
    // A memory database has one process by definition.
    this.workers = new WorkerRegistry((sql) => this.stmt(sql), path !== ":memory:");
  }

  /**
   * Opens (creating if needed, unless `create: false`) a Latch database. `path` is a file path or ":memory:".
   * @throws StoreNotFoundError with `create: false` when there is no file at `path`.
   * @throws StoreUnavailableError when the file or its folder cannot be written.
   * @throws NotALatchDatabaseError when the file is another kind of file or database.
   */
  static open(path: string, options: SqliteStoreOptions = {}): SqliteStore {
    const memory = path === ":memory:" || path === "";
    const file = memory ? ":memory:" : resolve(path);
    if (!memory) {
      if (options.create === false && !existsSync(file)) throw new StoreNotFoundError(file);
      const dir = dirname(file);
      try {
        if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
        accessSync(dir, constants.W_OK);
        if (existsSync(file)) accessSync(file, constants.R_OK | constants.W_OK);
      } catch (err) {
        throw new StoreUnavailableError(
          `store: cannot write the database at ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}). ` +
            "Pick a path in a writable folder with --db / LATCH_DATABASE_URL, or fix the folder's permissions.",
          { cause: err },
        );
      }
    }
    let db: Database.Database;
    try {
      db = new Database(file);
      db.pragma("busy_timeout = 10000");
    } catch (err) {
      throw new StoreUnavailableError(
        `store: cannot open the database at ${file}: ${(err as Error).message}.`,
        {
          cause: err,
        },
      );
    }
    const store = new SqliteStore(file, db, options);
    try {
      store.migrate();
    } catch (err) {
      db.close();
      if (err instanceof NotALatchDatabaseError) throw err;
      const code = (err as { code?: string }).code ?? "";
      if (code === "SQLITE_NOTADB" || code === "SQLITE_CORRUPT") {
        throw new NotALatchDatabaseError(
          `store: ${file} is not a SQLite database. Point --db / LATCH_DATABASE_URL at a Latch database or a new file.`,
          { cause: err },
        );
      }
      if (code === "SQLITE_READONLY" || code === "SQLITE_CANTOPEN" || code === "SQLITE_IOERR") {
        throw new StoreUnavailableError(`store: cannot write the database at ${file} (${code}).`, {
          cause: err,
        });
      }
      throw err;
    }
    return store;
  }

  private migrate(): void {
    const db = this.db;
    const appId = db.pragma("application_id", { simple: true }) as number;
    const version = db.pragma("user_version", { simple: true }) as number;
    const tables = (db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as Row)
      .n;
    if (appId !== APPLICATION_ID && (tables > 0 || version > 0)) {
      throw new NotALatchDatabaseError(
        `store: ${this.path} is a SQLite database of another application (it has ${tables} tables and no Latch marker). ` +
          "Latch keeps its own file: point --db / LATCH_DATABASE_URL at a new path such as .latch/latch.db.",
      );
    }
    if (version > SQLITE_MIGRATIONS.length) {
      throw new NotALatchDatabaseError(
        `store: ${this.path} has schema version ${version}, newer than this Latch knows (${SQLITE_MIGRATIONS.length}). Upgrade latch.`,
      );
    }
    if (this.path !== ":memory:") db.pragma("journal_mode = WAL");
    db.pragma(`synchronous = ${this.options.durability === "full" ? "FULL" : "NORMAL"}`);
    db.pragma("temp_store = MEMORY");
    db.pragma("cache_size = -8000");
    if (version < SQLITE_MIGRATIONS.length) {
      db.transaction(() => {
        for (let v = version; v < SQLITE_MIGRATIONS.length; v++) db.exec(SQLITE_MIGRATIONS[v]!);
        db.pragma(`application_id = ${APPLICATION_ID}`);
        db.pragma(`user_version = ${SQLITE_MIGRATIONS.length}`);
      }).immediate();
    }
    this.dataVersion = db.pragma("data_version", { simple: true }) as number;
  }

  private stmt(sql: string): Database.Statement {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }

  /**
   * Group commit: every write asked for in one turn of the event loop runs in ONE IMMEDIATE
   * transaction, each in its own savepoint so one failing write leaves the others intact. With
   * thousands of runs in flight this turns thousands of commits into a handful.
   */
  private write<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.writes.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flushWrites());
      }
    });
  }

  private flushWrites(): void {
    this.flushScheduled = false;
    const jobs = this.writes;
    this.writes = [];
    if (this.closed) {
      for (const j of jobs) j.reject(new ClosedError("the store was closed before this write ran"));
      return;
    }
    let results: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      // Fast path: no savepoints. A write that throws rolls the batch back, and the slow path
      // below re-runs each write in its own savepoint so only the faulty one fails.
      this.db
        .transaction(() => {
          results = jobs.map((job) => ({ ok: true, value: job.fn() }));
        })
        .immediate();
    } catch {
      results = [];
      try {
        this.db
          .transaction(() => {
            for (const job of jobs) {
              try {
                results.push({ ok: true, value: this.db.transaction(job.fn)() });
              } catch (error) {
                results.push({ ok: false, error });
              }
            }
          })
          .immediate();
      } catch (err) {
        for (const j of jobs) j.reject(err);
        return;
      }
    }
    for (const [i, job] of jobs.entries()) {
      const r = results[i]!;
      if (r.ok) job.resolve(r.value);
      else job.reject(r.error);
    }
  }

  async createRun(run: NewRun): Promise<RunRecord> {
    const event: LatchEvent = {
      type: "run.created",
      workflow: run.workflow,
      version: run.version,
      input: run.input,
    };
    await this.write(() => {
      this.stmt(
        `INSERT INTO runs (id, workflow, version, status, input, seq, wake_at, created_at, updated_at)
         VALUES (?, ?, ?, 'pending', ?, 1, ?, ?, ?)`,
      ).run(run.id, run.workflow, run.version ?? null, run.input ?? null, run.now, run.now, run.now);
      this.insertEvent(run.id, 1, event, run.now);
    });
    return newRunRecord(run);
  }

  private insertEvent(runId: string, seq: number, event: LatchEvent, now: number): void {
    this.stmt("INSERT INTO events (run_id, seq, type, data, at) VALUES (?, ?, ?, ?, ?)").run(
      runId,
      seq,
      event.type,
      JSON.stringify(event),
      now,
    );
  }

  /** One keyset page, newest first, of `table` rows matching `where`. */
  private page<T>(
    table: "runs" | "hooks",
    where: string[],
    args: unknown[],
    filter: { cursor?: string; limit?: number },
    map: (row: Row) => T,
    key: (item: T) => [number, string],
  ): Page<T> {
    const cursor = decodeCursor(filter.cursor);
    if (cursor) {
      where.push("(created_at < ? OR (created_at = ? AND id < ?))");
      args.push(cursor.at, cursor.at, cursor.id);
    }
    const limit = pageSize(filter.limit);
    const clause = where.length ? `WHERE ${where.join(" AND ")}` : "";
    const rows = this.stmt(`SELECT * FROM ${table} ${clause} ORDER BY created_at DESC, id DESC LIMIT ?`).all(
      ...args,
      limit + 1,
    ) as Row[];
    const items = rows.slice(0, limit).map(map);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeCursor(...key(last)) : undefined };
  }

  /** Appends events after `afterSeq` in as few statements as possible; returns the new last seq. */
  private insertEvents(runId: string, afterSeq: number, events: readonly LatchEvent[], now: number): number {
    let seq = afterSeq;
    for (let i = 0; i < events.length; i += 16) {
      const chunk = events.slice(i, i + 16);
      const args: unknown[] = [];
      for (const e of chunk) args.push(runId, ++seq, e.type, JSON.stringify(e), now);
      this.stmt(
        `INSERT INTO events (run_id, seq, type, data, at) VALUES ${chunk.map(() => "(?, ?, ?, ?, ?)").join(", ")}`,
      ).run(...args);
    }
    return seq;
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    const row = this.stmt("SELECT * FROM runs WHERE id = ?").get(runId) as Row | undefined;
    return row ? toRun(row) : undefined;
  }

  async listRuns(filter: RunFilter): Promise<Page<RunRecord>> {
    const where: string[] = [];
    const args: unknown[] = [];
    const statuses =
      filter.status === undefined ? [] : Array.isArray(filter.status) ? filter.status : [filter.status];
    if (statuses.length) {
      where.push(`status IN (${statuses.map(() => "?").join(",")})`);
      args.push(...statuses);
    }
    if (filter.workflow) {
      where.push("workflow = ?");
      args.push(filter.workflow);
    }
    return this.page("runs", where, args, filter, toRun, (r) => [r.createdAt, r.id]);
  }

  async countRuns(filter: RunCountFilter = {}): Promise<RunCounts> {
    const where: string[] = [];
    const args: unknown[] = [];
    const statuses =
      filter.status === undefined ? [] : Array.isArray(filter.status) ? filter.status : [filter.status];
    if (statuses.length) {
      where.push(`status IN (${statuses.map(() => "?").join(",")})`);
      args.push(...statuses);
    }
    if (filter.workflow) {
      where.push("workflow = ?");
      args.push(filter.workflow);
    }
    const clause = where.length ? `WHERE ${where.join(" AND ")}` : "";
    return runCounts(
      this.stmt(`SELECT status, count(*) AS n FROM runs ${clause} GROUP BY status`).all(...args) as Row[],
    );
  }

  async readEvents(runId: string, filter: EventFilter = {}): Promise<EventRecord[]> {
    const rows = this.stmt(
      `SELECT seq, data, at FROM events WHERE run_id = ? AND seq > ? AND (? IS NULL OR type >= ? AND type < ?)
       ORDER BY seq LIMIT ?`,
    ).all(
      runId,
      filter.afterSeq ?? 0,
      filter.typePrefix ?? null,
      filter.typePrefix ?? "",
      `${filter.typePrefix ?? ""}\uffff`,
      filter.limit ?? -1,
    ) as Row[];
    return rows.map((r) => ({ ...(JSON.parse(r.data) as LatchEvent), seq: r.seq, at: r.at }));
  }

  async claimRuns(opts: {
    owner: string;
    now: number;
    leaseMs: number;
    limit: number;
    workflows: string[];
    ids?: string[];
  }): Promise<ClaimedRun[]> {
    const { owner, now, leaseMs, limit, workflows, ids } = opts;
    if (workflows.length === 0 || ids?.length === 0) return [];
    return this.write(() => {
      this.takeOverFromDead();
      this.workers.register(owner, now);
      // Picked and updated in one write transaction: no other writer comes in between.
      const claimable = `wake_at <= ? AND (owner IS NULL OR lease_until < ?)
        AND workflow IN (${workflows.map(() => "?").join(",")})`;
      const picked = (
        ids
          ? this.stmt(
              `SELECT id, owner IS NOT NULL AS recovered FROM runs
                WHERE id IN (SELECT value FROM json_each(?) LIMIT ?) AND ${claimable}`,
            ).all(JSON.stringify(ids), limit, now, now, ...workflows)
          : this.stmt(
              `SELECT id, owner IS NOT NULL AS recovered FROM runs WHERE ${claimable}
                 AND (last_owner IS NULL OR last_owner = ? OR wake_at <= ?)
               ORDER BY wake_at LIMIT ?`,
            ).all(now, now, ...workflows, owner, now - RELEASE_AFFINITY_MS, limit)
      ) as { id: string; recovered: number }[];
      if (picked.length === 0) return [];
      const recovered = new Set(picked.filter((p) => p.recovered === 1).map((p) => p.id));
      const rows = this.stmt(
        `UPDATE runs SET owner = ?, lease_until = ?, status = 'running', updated_at = ?
          WHERE id IN (SELECT value FROM json_each(?)) RETURNING *`,
      ).all(owner, now + leaseMs, now, JSON.stringify(picked.map((p) => p.id))) as Row[];
      const inbox = this.stmt("SELECT * FROM inbox WHERE run_id = ? AND consumed_at IS NULL ORDER BY id");
      return rows.map((row) => ({
        run: toRun(row),
        recovered: recovered.has(row.id),
        inbox: row.pending_inbox > 0 ? (inbox.all(row.id) as Row[]).map(toInbox) : [],
      }));
    });
  }

  async registerWorkflows(names: string[], now: number): Promise<void> {
    await this.write(() => {
      const s = this.stmt(
        "INSERT INTO workflows (name, seen_at) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET seen_at = excluded.seen_at",
      );
      for (const n of names) s.run(n, now);
    });
  }

  async listWorkflows(): Promise<string[]> {
    return (this.stmt("SELECT name FROM workflows ORDER BY name").all() as Row[]).map((r) => r.name);
  }

  async renewLeases(owner: string, runIds: string[], now: number, leaseMs: number): Promise<string[]> {
    if (runIds.length === 0) return [];
    const held = new Set<string>();
    await this.write(() => {
      const s = this.stmt("UPDATE runs SET lease_until = ? WHERE id = ? AND owner = ? RETURNING id");
      for (const id of runIds) {
        const r = s.get(now + leaseMs, id, owner) as Row | undefined;
        if (r) held.add(r.id);
      }
    });
    return runIds.filter((id) => !held.has(id));
  }

  async ownedRunsWithWork(owner: string): Promise<string[]> {
    return (
      this.stmt("SELECT id FROM runs WHERE owner = ? AND (pending_inbox > 0 OR cancel_requested = 1)").all(
        owner,
      ) as Row[]
    ).map((r) => r.id);
  }

  async commit(batch: RunCommit[]): Promise<CommitResult[]> {
    return this.write(() => batch.map((c) => this.commitOne(c)));
  }

  private commitOne(c: RunCommit): CommitResult {
    const run = this.stmt(
      "SELECT seq, owner, lease_until, pending_inbox, cancel_requested FROM runs WHERE id = ?",
    ).get(c.runId) as Row | undefined;
    if (!run) return { ok: false, reason: "conflict" };
    if (run.owner !== c.owner || run.lease_until < c.now) return { ok: false, reason: "lease_lost" };
    if (run.seq !== c.expectedSeq) return { ok: false, reason: "conflict" };

    // Registrations and closes in the order of their events: a token the run gives up is free for
    // a registration after that, in the same commit (a loop that disposes a hook and takes its
    // token again).
    const changes = hookChanges(c);
    if (c.registerHooks?.length) {
      const expire = this.stmt(
        "UPDATE hooks SET status = 'expired', closed_at = ? WHERE token = ? AND status = 'pending' AND expires_at <= ?",
      );
      const holder = this.stmt("SELECT id FROM hooks WHERE token = ? AND status = 'pending'");
      const taken = takenTokens(c.runId, changes, (token) => {
        // A live hook past its timeout gives its token up; its own run records the expiry later.
        expire.run(c.now, token, c.now);
        return (holder.get(token) as Row | undefined)?.id;
      });
      if (taken.length) return { ok: false, reason: "token_taken", hookIds: taken };
    }

    const seq = this.insertEvents(c.runId, c.expectedSeq, c.events, c.now);

    let pendingInbox: number = run.pending_inbox;
    for (const ch of changes) {
      if (ch.kind === "close") {
        this.stmt("UPDATE hooks SET status = ?, closed_at = ? WHERE id = ? AND status = 'pending'").run(
          ch.status,
          c.now,
          ch.hookId,
        );
        continue;
      }
      const h = ch.hook;
      this.stmt(
        `INSERT INTO hooks (id, run_id, token, name, kind, status, schema, metadata, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?)`,
      ).run(
        h.hookId,
        c.runId,
        h.token,
        h.name ?? null,
        h.kind,
        h.schema === undefined ? null : JSON.stringify(h.schema),
        h.metadata === undefined ? null : JSON.stringify(h.metadata),
        c.now,
        h.expiresAt ?? null,
      );
      if (h.adoptEarly) {
        const adopted = this.stmt(
          "UPDATE inbox SET hook_id = ?, run_id = ? WHERE token = ? AND hook_id IS NULL",
        ).run(h.hookId, c.runId, h.token).changes;
        if (adopted) {
          pendingInbox += adopted;
          this.stmt("UPDATE hooks SET payloads = payloads + ? WHERE id = ?").run(adopted, h.hookId);
        }
      }
    }
    if (c.closeAllHooks) {
      this.stmt(
        "UPDATE hooks SET status = 'disposed', closed_at = ? WHERE run_id = ? AND status = 'pending'",
      ).run(c.now, c.runId);
    }
    if (c.outbox?.length) {
      const ins = this.stmt(
        `INSERT INTO outbox (id, run_id, workflow, handler, event, created_at, owner, lease_until, attempts)
         SELECT ?, ?, workflow, ?, ?, ?, ?, ?, 1 FROM runs WHERE id = ?`,
      );
      const until = c.now + (c.outboxLeaseMs ?? OUTBOX_LEASE_MS);
      for (const o of c.outbox) ins.run(o.id, c.runId, o.handler, o.event, c.now, c.owner, until, c.runId);
    }
    if (c.consumeInbox?.length) {
      const s = this.stmt(
        "UPDATE inbox SET consumed_at = ? WHERE id = ? AND run_id = ? AND consumed_at IS NULL",
      );
      for (const id of c.consumeInbox) pendingInbox -= s.run(c.now, id, c.runId).changes;
    }
    if (c.rejectInbox?.length) {
      const s = this.stmt(
        "UPDATE inbox SET consumed_at = ?, issues = ? WHERE id = ? AND run_id = ? AND consumed_at IS NULL",
      );
      for (const r of c.rejectInbox) {
        pendingInbox -= s.run(c.now, JSON.stringify(r.issues), r.id, c.runId).changes;
      }
    }

    const terminal = c.status !== undefined && isTerminal(c.status);
    const release = terminal || c.release !== undefined;
    const wakeAt = terminal
      ? null
      : release
        ? pendingInbox > 0 || run.cancel_requested
          ? c.now
          : (c.release?.wakeAt ?? null)
        : undefined;
    this.stmt(
      `UPDATE runs SET seq = ?, pending_inbox = ?, updated_at = ?,
         status = coalesce(?, status), output = coalesce(?, output), error = coalesce(?, error),
         finished_at = CASE WHEN ? THEN ? ELSE finished_at END,
         last_owner = CASE WHEN ? THEN owner ELSE last_owner END,
         owner = CASE WHEN ? THEN NULL ELSE owner END,
         lease_until = CASE WHEN ? THEN NULL ELSE lease_until END,
         wake_at = CASE WHEN ? THEN ? ELSE wake_at END
       WHERE id = ?`,
    ).run(
      seq,
      pendingInbox,
      c.now,
      c.status ?? null,
      c.output ?? null,
      c.error ? JSON.stringify(c.error) : null,
      terminal ? 1 : 0,
      c.now,
      release ? 1 : 0,
      release ? 1 : 0,
      release ? 1 : 0,
      wakeAt !== undefined ? 1 : 0,
      wakeAt ?? null,
      c.runId,
    );
    return { ok: true, seq, pendingInbox, cancelRequested: run.cancel_requested === 1 };
  }

  async claimOutbox(opts: {
    owner: string;
    now: number;
    leaseMs: number;
    limit: number;
    workflows: string[];
  }): Promise<OutboxEntry[]> {
    if (opts.workflows.length === 0) return [];
    return this.write(() => {
      this.takeOverFromDead();
      this.workers.register(opts.owner, opts.now);
      return (
        this.stmt(
          `UPDATE outbox SET owner = ?, lease_until = ?, attempts = attempts + 1
           WHERE id IN (SELECT id FROM outbox WHERE lease_until < ?
                          AND workflow IN (${opts.workflows.map(() => "?").join(",")})
                        ORDER BY created_at LIMIT ?)
           RETURNING *`,
        ).all(opts.owner, opts.now + opts.leaseMs, opts.now, ...opts.workflows, opts.limit) as Row[]
      )
        .map(toOutbox)
        .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
    });
  }

  /**
   * Inside a claim: ends the leases of holders whose process is gone (this machine only), so this
   * claim takes their runs at once. Watchers are rung too: the freed runs and outbox deliveries
   * are then claimed by whoever watches (this claim may be for runs only, or deliveries only).
   */
  private takeOverFromDead(): void {
    if (this.workers.endLeasesOfDead() === 0) return;
    setImmediate(() => {
      if (!this.closed) for (const l of this.listeners) l();
    });
  }

  async ackOutbox(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.write(() => {
      for (let i = 0; i < ids.length; i += 64) {
        const chunk = ids.slice(i, i + 64);
        this.stmt(`DELETE FROM outbox WHERE id IN (${chunk.map(() => "?").join(",")})`).run(...chunk);
      }
    });
  }

  async readInbox(runId: string): Promise<InboxRecord[]> {
    return (
      this.stmt("SELECT * FROM inbox WHERE run_id = ? AND consumed_at IS NULL ORDER BY id").all(
        runId,
      ) as Row[]
    ).map(toInbox);
  }

  async getInboxEntry(id: number): Promise<InboxEntry | undefined> {
    const row = this.stmt("SELECT * FROM inbox WHERE id = ?").get(id) as Row | undefined;
    return row ? toInboxEntry(row) : undefined;
  }

  async nextWakeAt(): Promise<number | undefined> {
    const row = this.stmt(
      `SELECT min(t) AS t FROM (
         SELECT min(wake_at) AS t FROM runs WHERE wake_at IS NOT NULL AND owner IS NULL
         UNION ALL
         SELECT min(lease_until) AS t FROM runs WHERE owner IS NOT NULL AND wake_at IS NOT NULL)`,
    ).get() as Row;
    return row.t ?? undefined;
  }

  async getHook(token: string): Promise<HookRecord | undefined> {
    const row = this.stmt(
      "SELECT * FROM hooks WHERE token = ? ORDER BY status = 'pending' DESC, created_at DESC, id DESC LIMIT 1",
    ).get(token) as Row | undefined;
    return row ? toHook(row) : undefined;
  }

  async listHooks(filter: HookFilter): Promise<Page<HookRecord>> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.status) {
      where.push("status = ?");
      args.push(filter.status);
    }
    if (filter.runId) {
      where.push("run_id = ?");
      args.push(filter.runId);
    }
    if (filter.name) {
      where.push("name = ?");
      args.push(filter.name);
    }
    return this.page("hooks", where, args, filter, toHook, (h) => [h.createdAt, h.hookId]);
  }

  async countHooks(filter: HookCountFilter = {}): Promise<HookCounts> {
    const where: string[] = [];
    const args: unknown[] = [];
    for (const [column, value] of [
      ["status", filter.status],
      ["run_id", filter.runId],
      ["name", filter.name],
    ] as const) {
      if (!value) continue;
      where.push(`${column} = ?`);
      args.push(value);
    }
    const clause = where.length ? `WHERE ${where.join(" AND ")}` : "";
    return hookCounts(
      this.stmt(`SELECT status, count(*) AS n FROM hooks ${clause} GROUP BY status`).all(...args) as Row[],
    );
  }

  async resumeHook(req: ResumeRequest): Promise<ResumeOutcome> {
    return this.write((): ResumeOutcome => {
      if (req.idempotencyKey !== undefined) {
        const seen = this.stmt(
          "SELECT id, hook_id, run_id, payload FROM inbox WHERE token = ? AND idempotency_key = ?",
        ).get(req.token, req.idempotencyKey) as Row | undefined;
        if (seen) {
          // A key names one payload: another one under it would be dropped silently if taken as a repeat.
          if (seen.payload !== (req.payload ?? null)) return { status: "idempotency_conflict" };
          return seen.hook_id
            ? {
                status: "accepted",
                runId: seen.run_id,
                hookId: seen.hook_id,
                inboxId: seen.id,
                repeated: true,
              }
            : { status: "kept", inboxId: seen.id, repeated: true };
        }
      }
      const hook = this.stmt(
        "SELECT id, run_id, expires_at, name, schema FROM hooks WHERE token = ? AND status = 'pending'",
      ).get(req.token) as Row | undefined;
      if (hook && !(hook.expires_at !== null && hook.expires_at <= req.now)) {
        const check = req.check;
        if (
          check &&
          hook.id !== check.validatedHookId &&
          (hook.schema !== null || (hook.name !== null && check.schemaNames.includes(hook.name)))
        ) {
          const row = this.stmt("SELECT * FROM hooks WHERE id = ?").get(hook.id) as Row;
          return { status: "validate", hook: toHook(row) };
        }
        const inboxId = this.insertInbox(req, hook.id, hook.run_id);
        this.stmt("UPDATE hooks SET payloads = payloads + 1 WHERE id = ?").run(hook.id);
        this.stmt(
          `UPDATE runs SET pending_inbox = pending_inbox + 1,
             wake_at = CASE WHEN wake_at IS NULL OR wake_at > ? THEN ? ELSE wake_at END
           WHERE id = ?`,
        ).run(req.now, req.now, hook.run_id);
        return { status: "accepted", runId: hook.run_id, hookId: hook.id, inboxId, repeated: false };
      }
      if (req.ifMissing === "keep") {
        return { status: "kept", inboxId: this.insertInbox(req, null, null), repeated: false };
      }
      if (hook) return { status: "expired", expiredAt: hook.expires_at };
      const last = this.stmt(
        "SELECT status, expires_at FROM hooks WHERE token = ? ORDER BY created_at DESC, id DESC LIMIT 1",
      ).get(req.token) as Row | undefined;
      if (!last) return { status: "not_found" };
      return last.status === "expired"
        ? { status: "expired", expiredAt: last.expires_at }
        : { status: "disposed" };
    });
  }

  private insertInbox(req: ResumeRequest, hookId: string | null, runId: string | null): number {
    return Number(
      this.stmt(
        `INSERT INTO inbox (token, hook_id, run_id, payload, idempotency_key, received_at, sender)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        req.token,
        hookId,
        runId,
        req.payload ?? null,
        req.idempotencyKey ?? null,
        req.now,
        senderColumn(req),
      ).lastInsertRowid,
    );
  }

  async cancelRun(runId: string, now: number): Promise<CancelOutcome> {
    return this.write((): CancelOutcome => {
      const row = this.stmt("SELECT * FROM runs WHERE id = ?").get(runId) as Row | undefined;
      if (!row) return { status: "not_found" };
      if (isTerminal(row.status)) return { status: "already_finished", run: toRun(row) };
      if (row.owner !== null && row.lease_until >= now) {
        this.stmt("UPDATE runs SET cancel_requested = 1, wake_at = ?, updated_at = ? WHERE id = ?").run(
          now,
          now,
          runId,
        );
        return {
          status: "requested",
          run: { ...toRun(row), cancelRequested: true, wakeAt: now, updatedAt: now },
        };
      }
      let seq: number = row.seq;
      const hooks = this.stmt("SELECT id, token FROM hooks WHERE run_id = ? AND status = 'pending'").all(
        runId,
      ) as Row[];
      for (const h of hooks) {
        this.insertEvent(
          runId,
          ++seq,
          { type: "hook.disposed", hookId: h.id, token: h.token, reason: "run_ended" },
          now,
        );
      }
      this.insertEvent(runId, ++seq, { type: "run.cancelled" }, now);
      // Lifecycle hooks of a cancel made without the workflow's code: a worker that has it expands this.
      this.stmt(
        `INSERT INTO outbox (id, run_id, workflow, handler, event, created_at, owner, lease_until)
         VALUES (?, ?, ?, 'expand:cancelled', ?, ?, NULL, 0)`,
      ).run(`dlv_${runId.slice(4)}_cancel`, runId, row.workflow, JSON.stringify({ at: now }), now);
      this.stmt(
        "UPDATE hooks SET status = 'disposed', closed_at = ? WHERE run_id = ? AND status = 'pending'",
      ).run(now, runId);
      const updated = this.stmt(
        `UPDATE runs SET status = 'cancelled', seq = ?, cancel_requested = 1, owner = NULL, lease_until = NULL,
           wake_at = NULL, updated_at = ?, finished_at = ? WHERE id = ? RETURNING *`,
      ).get(seq, now, now, runId) as Row;
      return { status: "cancelled", run: toRun(updated) };
    });
  }

  watch(listener: (change?: StoreChange) => void, _options?: WatchOptions): () => void {
    this.listeners.add(listener);
    if (!this.watchTimer && this.path !== ":memory:") {
      this.watchTimer = setInterval(() => this.poll(), this.options.watchIntervalMs ?? 20);
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

  private poll(): void {
    if (this.closed) return;
    // data_version changes only when *another* connection commits: a cheap cross-process doorbell.
    const v = this.db.pragma("data_version", { simple: true }) as number;
    if (v === this.dataVersion) return;
    this.dataVersion = v;
    for (const l of this.listeners) l();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.writes.length) this.flushWrites();
    try {
      this.workers.unregister();
    } catch {
      // Busy or read-only: the row stays until a claim finds this process gone.
    }
    this.closed = true;
    if (this.watchTimer) clearInterval(this.watchTimer);
    this.listeners.clear();
    this.db.close();
  }
}

// A closed store or a damaged file answers with ClosedError / StoreUnavailableError from every
// method (the HTTP API's 503, the CLI's exit 7), never the driver's untyped TypeError.
typeErrorsOf(
  SqliteStore.prototype,
  [
    "migrate",
    "stmt",
    "write",
    "flushWrites",
    "insertEvent",
    "page",
    "insertEvents",
    "commitOne",
    "insertInbox",
    "poll",
  ],
  (store: SqliteStore) => ({ file: store.path, closed: (store as unknown as { closed: boolean }).closed }),
);
