/**
 * The hook round-trip benchmark (a script, not a test).
 *
 *   npm run bench:roundtrip -- --n 10000 [--store sqlite|postgres] [--workers N] [--with-hooks]
 *
 * Scenario per run: step → wait hook → resume from outside → step → done.
 *  1. start N runs and wait until every one is suspended on its hook   → startPerSec
 *  2. resume all N hooks through a client and wait until all are done → resumePerSec
 *     roundtripsPerSec = N / (phase 1 + phase 2)
 *  3. `--samples` runs resumed one at a time, resume → run ended       → p50Ms, p99Ms
 *  4. one run iterating a hook for `--iterations` payloads sent one at a time; the time of the
 *     first and of the last 1,000                                       → iterFirstMs, iterLastMs
 *
 * Where the workflows run:
 *  - no `--workers` (reported as 0): in the bench process, whose engine is also the client;
 *    rssMb is the bench process's RSS with N runs suspended.
 *  - `--workers N` (PostgreSQL only): N worker processes (bench/roundtrip-worker.ts); the bench
 *    process only starts runs and resumes hooks through a Client, and counts progress straight from
 *    the tables; rssMb is the largest worker process's RSS with N runs suspended.
 * Stores: `sqlite` is a new file in a temp folder (WAL, synchronous=NORMAL). `postgres` is
 * LATCH_DATABASE_URL when it is a postgres:// URL, else an embedded PostgreSQL started here at its
 * default durability (fsync and synchronous_commit on) and removed afterwards.
 * `--with-hooks` adds all nine lifecycle hooks (no-op handlers) to the workflow and one no-op
 * interceptor, to measure what they cost.
 * The last line of output is one JSON object with every figure.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type Client, createClient, createLatch } from "../src/index.js";
import { type BenchDatabase, benchDatabase, TableCounter } from "./bench-database.js";
import { BenchChild, stopChildren } from "./child-process.js";
import { BENCH_WORKER, ITERATE_TOKEN, roundtripWorkflows } from "./roundtrip-workflows.js";

const { values } = parseArgs({
  options: {
    n: { type: "string", default: "1000" },
    store: { type: "string", default: "sqlite" },
    workers: { type: "string", default: "0" },
    iterations: { type: "string", default: "10000" },
    samples: { type: "string", default: "200" },
    concurrency: { type: "string", default: "1000" },
    "with-hooks": { type: "boolean", default: false },
  },
});
const wholeNumber = (name: keyof typeof values, min: number): number => {
  const v = Number(values[name]);
  if (!Number.isInteger(v) || v < min)
    throw new Error(`--${name}: ${values[name]} is not a whole number ≥ ${min}`);
  return v;
};
const N = wholeNumber("n", 1);
const WORKERS = wholeNumber("workers", 0);
const ITER = wholeNumber("iterations", 0);
if (ITER % 1000 !== 0) throw new Error(`--iterations: ${ITER} is not a multiple of 1,000`);
const SAMPLES = wholeNumber("samples", 1);
const CONCURRENCY = wholeNumber("concurrency", 1);
const WITH_HOOKS = values["with-hooks"];
const STORE = values.store;
if (STORE !== "sqlite" && STORE !== "postgres") {
  throw new Error(`--store: ${STORE} is not a store this bench knows (use sqlite or postgres)`);
}
if (WORKERS > 0 && STORE !== "postgres") {
  throw new Error(
    "--workers needs --store postgres: worker processes sharing one SQLite file take turns on its write lock (see bench/RESULTS.md)",
  );
}

/** Where the workflows run, behind one interface for the phases below. */
interface Rig {
  /** Starts runs and resumes hooks. */
  client: Client;
  /** Resolves when `n` runs are suspended on their hook, or have succeeded. */
  settled(state: "suspended" | "succeeded", n: number): Promise<void>;
  /** Starts watching the run; the returned function resolves once the run has ended. */
  watchEnd(runId: string): Promise<() => Promise<unknown>>;
  /** RSS of the process(es) running the workflows, in bytes. */
  rss(): Promise<number>;
  /** Resolves at the iterating run's next 1,000th payload. */
  nextBatch(): Promise<void>;
  close(): Promise<void>;
}

/** The worker runs in this process: its engine is the client. */
async function inProcessRig(store: string): Promise<Rig> {
  let batchReached: (() => void) | undefined;
  const { workflows, interceptors } = roundtripWorkflows({
    withHooks: WITH_HOOKS,
    onBatch: () => batchReached?.(),
  });
  const latch = await createLatch({ workflows, store, worker: BENCH_WORKER, interceptors });
  return {
    client: latch,
    settled: () => latch.idle(),
    watchEnd: async (runId) => () => latch.handle(runId).result(),
    rss: async () => process.memoryUsage().rss,
    nextBatch: () => new Promise<void>((r) => (batchReached = r)),
    close: () => latch.close(),
  };
}

/** `count` worker processes run the workflows; this process is a client only. */
async function workerProcessRig(url: string, count: number): Promise<Rig> {
  const workers = Array.from(
    { length: count },
    () => new BenchChild("roundtrip-worker.ts", [url, ...(WITH_HOOKS ? ["--with-hooks"] : [])]),
  );
  const counter = new TableCounter(url);
  await Promise.all([...workers.map((w) => w.ready), counter.connect()]);
  const client = await createClient({ store: url });
  const ended = new Map<string, () => void>();
  let batchReached: (() => void) | undefined;
  for (const w of workers) {
    w.on((m) => {
      if (m.type === "finished") ended.get(m.runId as string)?.();
      else if (m.type === "batch") batchReached?.();
    });
  }
  return {
    client,
    settled: (state, n) =>
      counter.waitFor(
        state === "suspended"
          ? "SELECT count(*) AS n FROM $s.hook_tokens"
          : "SELECT count(*) AS n FROM $s.runs WHERE status = 'succeeded'",
        n,
      ),
    async watchEnd(runId) {
      const end = new Promise<void>((r) => ended.set(runId, r));
      const watching = workers.map((w) => w.next("watching", (m) => m.runId === runId));
      for (const w of workers) w.send({ type: "watch", runId });
      await Promise.all(watching);
      return async () => {
        await end;
        ended.delete(runId);
        for (const w of workers) w.send({ type: "unwatch", runId });
      };
    },
    async rss() {
      const replies = workers.map((w) => w.next("rss"));
      for (const w of workers) w.send({ type: "rss" });
      return Math.max(...(await Promise.all(replies)).map((m) => m.rss as number));
    },
    nextBatch: () => new Promise<void>((r) => (batchReached = r)),
    async close() {
      await client.close();
      await stopChildren();
      await counter.close();
    },
  };
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Calls `fn` on every item, at most `CONCURRENCY` at a time. */
async function inParallel<T>(items: T[], fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, lane));
}

async function pendingTokens(client: Client, expect: number): Promise<string[]> {
  const tokens: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.hooks.list({ status: "pending", name: "bench_approval", limit: 1000, cursor });
    for (const h of page.items) tokens.push(h.token);
    cursor = page.nextCursor;
  } while (cursor);
  if (tokens.length !== expect) throw new Error(`expected ${expect} pending hooks, found ${tokens.length}`);
  return tokens;
}

/** The token of the run's pending hook, once it has one (polled: the worker may be another process). */
async function pendingTokenOf(client: Client, runId: string): Promise<string> {
  for (;;) {
    const [hook] = (await client.hooks.list({ status: "pending", runId })).items;
    if (hook) return hook.token;
    await pause(1);
  }
}

async function main() {
  let database: BenchDatabase | undefined;
  let sqliteDir: string | undefined;
  let store: string;
  if (STORE === "postgres") {
    database = await benchDatabase("default");
    store = database.url;
  } else {
    sqliteDir = mkdtempSync(join(tmpdir(), "latch-bench-"));
    store = `sqlite:${join(sqliteDir, "bench.db")}`;
  }
  console.log(
    `store: ${STORE}${database ? ` (${database.origin})` : ""}; workflows run ${
      WORKERS > 0 ? `in ${WORKERS} worker process(es)` : "in the bench process"
    }`,
  );
  let rig: Rig | undefined;
  try {
    rig = WORKERS > 0 ? await workerProcessRig(store, WORKERS) : await inProcessRig(store);
    const { client } = rig;
    if ((await client.runs.list({ limit: 1 })).items.length > 0) {
      throw new Error(
        "the database already has runs: give the bench an empty one (or no LATCH_DATABASE_URL)",
      );
    }
    // 1. start + suspend
    const t0 = performance.now();
    await inParallel(
      Array.from({ length: N }, (_, i) => i),
      (i) => client.start("bench_roundtrip", i),
    );
    await rig.settled("suspended", N);
    const t1 = performance.now();
    const tokens = await pendingTokens(client, N);
    const rssSuspended = await rig.rss();

    // 2. resume all, wait for all
    const t2 = performance.now();
    await inParallel(tokens, (token) => client.resumeHook(token, { ok: true }));
    await rig.settled("succeeded", N);
    const t3 = performance.now();
    const done = await client.runs.list({ status: "succeeded", workflow: "bench_roundtrip", limit: 1 });
    if (done.items.length === 0) throw new Error("no run succeeded");

    // 3. latency, one at a time
    const lat: number[] = [];
    for (let s = 0; s < SAMPLES; s++) {
      const run = await client.start("bench_roundtrip", s);
      const token = await pendingTokenOf(client, run.id);
      const ended = await rig.watchEnd(run.id);
      const a = performance.now();
      await client.resumeHook(token, { ok: true });
      await ended();
      lat.push(performance.now() - a);
    }
    lat.sort((x, y) => x - y);
    const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))]!;

    // 4. one run iterating a hook
    const batches: number[] = [];
    if (ITER > 0) {
      const iter = await client.start("bench_iterate", ITER);
      while ((await client.hooks.get(ITERATE_TOKEN))?.status !== "pending") await pause(1);
      let last = performance.now();
      for (let b = 0; b < ITER / 1000; b++) {
        const reached = rig.nextBatch();
        for (let k = 0; k < 1000; k++) await client.resumeHook(ITERATE_TOKEN, b * 1000 + k);
        await reached;
        const now = performance.now();
        batches.push(now - last);
        last = now;
      }
      if ((await client.handle(iter.id).result()) !== ITER) throw new Error("iteration lost payloads");
    }

    const startSec = (t1 - t0) / 1000;
    const resumeSec = (t3 - t2) / 1000;
    const result = {
      n: N,
      store: STORE,
      workers: WORKERS,
      withHooks: WITH_HOOKS,
      roundtripsPerSec: Math.round(N / (startSec + resumeSec)),
      startPerSec: Math.round(N / startSec),
      resumePerSec: Math.round(N / resumeSec),
      p50Ms: Number(pct(50).toFixed(2)),
      p99Ms: Number(pct(99).toFixed(2)),
      rssMb: Math.round(rssSuspended / 1048576),
      iterFirstMs: Math.round(batches[0] ?? 0),
      iterLastMs: Math.round(batches.at(-1) ?? 0),
    };
    console.log(
      `start+suspend: ${N} runs in ${startSec.toFixed(2)} s; resume→done: ${resumeSec.toFixed(2)} s`,
    );
    console.log(
      `rss with ${N} suspended: ${result.rssMb} MB${WORKERS > 0 ? " (largest worker process)" : ""}; iteration batches (ms): ${batches.map(Math.round).join(" ")}`,
    );
    console.log(JSON.stringify(result));
  } finally {
    await rig?.close();
    await database?.close();
    if (sqliteDir) rmSync(sqliteDir, { recursive: true, force: true });
  }
}

main().catch(async (err) => {
  console.error(err);
  await stopChildren(2000);
  process.exit(1);
});
