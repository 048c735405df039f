/**
 * Picks the PostgreSQL driver of the PostgresStore: runs the store's own statements (create run,
 * claim, commit batch, resume) through `postgres` (porsager) and through `pg`, same pool size, same
 * server, and prints throughput per phase and single-call latency.
 *
 *   npx tsx bench/postgres-driver.ts [--runs 5000] [--rounds 2] [--durability default|fast]
 *
 * With no LATCH_TEST_DATABASE_URL it starts an embedded PostgreSQL (default durability settings).
 * The last line is JSON.
 */
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import pg from "pg";
import postgres from "postgres";
import type { RunCommit } from "../src/store/records.js";
import { POSTGRES_MIGRATIONS } from "../src/stores/postgres/migrations/index.js";
import { postgresQueries } from "../src/stores/postgres/queries.js";
import { toCommitJson } from "../src/stores/postgres/rows.js";
import { startTestPostgres } from "../test/support/postgres.js";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "5000" },
    rounds: { type: "string", default: "2" },
    durability: { type: "string", default: "default" },
  },
});
const N = Number(values.runs);
const ROUNDS = Number(values.rounds);
const POOL = 10;
const CONCURRENCY = 32;
const BATCH = 256;

/** The only thing the store needs from a driver: run a fixed statement with parameters. */
interface Driver {
  name: string;
  query(text: string, params: unknown[]): Promise<Record<string, any>[]>;
  end(): Promise<void>;
}

function porsager(url: string): Driver {
  const sql = postgres(url, {
    max: POOL,
    onnotice: () => {},
    types: {
      bigint: { to: 20, from: [20], serialize: (x: number) => String(x), parse: (x: string) => Number(x) },
    },
  });
  return {
    name: "postgres",
    query: (text, params) =>
      sql.unsafe(text, params as never[], { prepare: !text.includes("SKIP LOCKED") }) as never,
    end: () => sql.end(),
  };
}

function nodePg(url: string): Driver {
  const pool = new pg.Pool({
    connectionString: url,
    max: POOL,
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") =>
        oid === 20 ? Number : pg.types.getTypeParser(oid, format)) as never,
    },
  });
  // An idle client's connection can end (server stopped); pg emits that on the pool.
  pool.on("error", () => {});
  const names = new Map<string, string>();
  return {
    name: "pg",
    async query(text, params) {
      // The store plans claims each time (unnamed statement); everything else is prepared.
      if (text.includes("SKIP LOCKED")) return (await pool.query({ text, values: params })).rows;
      let name = names.get(text);
      if (!name) {
        name = `q${names.size}`;
        names.set(text, name);
      }
      return (await pool.query({ name, text, values: params })).rows;
    },
    end: () => pool.end(),
  };
}

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (i < items.length) await fn(items[i++]!);
    }),
  );
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};

/** The argument of create_runs for one run (the store batches calls; here each goes alone). */
const createJson = (id: string, workflow: string, at: number) =>
  JSON.stringify([
    {
      id,
      workflow,
      version: null,
      input: "[]",
      now: at,
      event: JSON.stringify({ type: "run.created", workflow }),
    },
  ]);
/** The argument of resume_hooks for one payload. */
const resumeJson = (token: string, payload: string, at: number) =>
  JSON.stringify([{ token, payload, key: null, keep: false, now: at }]);

async function measure(driver: Driver, schema: string) {
  const q = postgresQueries(schema);
  const ids = Array.from({ length: N }, (_, i) => `run_${schema}_${String(i).padStart(8, "0")}`);
  const phases: Record<string, number> = {};
  const now = () => Date.now();
  const owner = `wkr_${schema}`;

  let t = performance.now();
  await pool(ids, CONCURRENCY, async (id) => {
    await driver.query(q.createRuns, [createJson(id, "bench", now())]);
  });
  phases.createRun = N / ((performance.now() - t) / 1000);

  const splits: Record<string, { claimMs: number; commitMs: number }> = {};
  const claimAndCommit = async (phase: string, make: (run: Record<string, any>) => RunCommit) => {
    const split = { claimMs: 0, commitMs: 0 };
    splits[phase] = split;
    const start = performance.now();
    let done = 0;
    // Two claim loops, like two workers sharing the pool.
    await Promise.all(
      [0, 1].map(async () => {
        for (;;) {
          let a = performance.now();
          const rows = await driver.query(q.claimRuns, [now(), ["bench"], BATCH, owner, 30_000]);
          split.claimMs += performance.now() - a;
          if (rows.length === 0) return;
          const batch = rows.map(make);
          a = performance.now();
          const [res] = await driver.query(q.commit, [JSON.stringify(batch.map(toCommitJson))]);
          split.commitMs += performance.now() - a;
          for (const r of res!.r as { ok: boolean }[])
            if (!r.ok) throw new Error(`commit failed: ${JSON.stringify(r)}`);
          done += rows.length;
        }
      }),
    );
    return done / ((performance.now() - start) / 1000);
  };

  phases.claimAndSuspend = await claimAndCommit("claimAndSuspend", (run) => ({
    runId: run.id,
    owner,
    expectedSeq: run.seq,
    events: [
      { type: "run.started" },
      { type: "hook.created", callSeq: 0, hookId: `hook_${run.id}`, token: `tok_${run.id}`, kind: "hook" },
      { type: "run.suspended" },
    ],
    registerHooks: [{ hookId: `hook_${run.id}`, token: `tok_${run.id}`, kind: "hook", adoptEarly: true }],
    status: "suspended",
    release: {},
    now: now(),
  }));

  t = performance.now();
  await pool(ids, CONCURRENCY, async (id) => {
    const [row] = await driver.query(q.resumeHooks, [resumeJson(`tok_${id}`, '{"ok":true}', now())]);
    if (row!.r[0].status !== "accepted") throw new Error(`resume: ${JSON.stringify(row!.r)}`);
  });
  phases.resumeHook = N / ((performance.now() - t) / 1000);

  phases.claimAndFinish = await claimAndCommit("claimAndFinish", (run) => ({
    runId: run.id,
    owner,
    expectedSeq: run.seq,
    events: [
      { type: "run.resumed", reason: "payload" },
      { type: "run.succeeded", output: "1" },
    ],
    consumeInbox: (run.inbox as unknown[][]).map((i) => Number(i[0])),
    closeAllHooks: true,
    status: "succeeded",
    output: "1",
    now: now(),
  }));

  // Single calls one after another: the latency a lone request sees.
  const lat: Record<string, number[]> = { createRun: [], claim1: [], commit1: [], resume: [] };
  for (let i = 0; i < 300; i++) {
    const id = `lat_${schema}_${i}`;
    let a = performance.now();
    await driver.query(q.createRuns, [createJson(id, "lat", now())]);
    lat.createRun!.push(performance.now() - a);
    a = performance.now();
    const [run] = await driver.query(q.claimRuns, [now(), ["lat"], 1, owner, 30_000]);
    lat.claim1!.push(performance.now() - a);
    a = performance.now();
    const commit: RunCommit = {
      runId: run!.id,
      owner,
      expectedSeq: run!.seq,
      events: [{ type: "run.started" }, { type: "run.suspended" }],
      registerHooks: [{ hookId: `hook_${id}`, token: `tok_${id}`, kind: "hook", adoptEarly: true }],
      status: "suspended",
      release: {},
      now: now(),
    };
    await driver.query(q.commit, [JSON.stringify([toCommitJson(commit)])]);
    lat.commit1!.push(performance.now() - a);
    a = performance.now();
    await driver.query(q.resumeHooks, [resumeJson(`tok_${id}`, "1", now())]);
    lat.resume!.push(performance.now() - a);
  }
  const latency = Object.fromEntries(
    Object.entries(lat).map(([k, xs]) => [k, { p50: +pct(xs, 50).toFixed(3), p99: +pct(xs, 99).toFixed(3) }]),
  );
  const ms = Object.fromEntries(
    Object.entries(splits).map(([k, v]) => [
      k,
      { claimMs: Math.round(v.claimMs), commitMs: Math.round(v.commitMs) },
    ]),
  );
  return {
    phases: Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, Math.round(v)])),
    ms,
    latency,
  };
}

// "fast" (fsync off) takes the disk out, leaving what the driver itself costs.
const server = await startTestPostgres({ durability: values.durability === "fast" ? "fast" : "default" });
const admin = postgres(server.url, { onnotice: () => {} });
const results: Record<string, unknown[]> = { postgres: [], pg: [] };
try {
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate which driver goes first, so neither always meets a warmer server.
    for (const make of round % 2 ? [nodePg, porsager] : [porsager, nodePg]) {
      const driver = make(server.url);
      const schema = `bench_${driver.name}_${round}`;
      await admin.unsafe(`CREATE SCHEMA ${schema}`);
      for (const migration of POSTGRES_MIGRATIONS) await admin.unsafe(migration(schema));
      const r = await measure(driver, schema);
      await driver.end();
      console.log(driver.name, `round ${round + 1}`, JSON.stringify(r));
      results[driver.name]!.push(r);
    }
  }
} finally {
  await admin.end();
  await server.close();
}
console.log(
  JSON.stringify({
    bench: "postgres-driver",
    durability: values.durability,
    runs: N,
    pool: POOL,
    concurrency: CONCURRENCY,
    results,
  }),
);
