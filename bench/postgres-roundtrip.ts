/**
 * The hook round trip on PostgreSQL with N separate worker processes (a script, not a test).
 *
 *   npx tsx bench/postgres-roundtrip.ts --n 10000 --workers 3
 *
 * Same scenario and figures as bench/hook-roundtrip.ts (step → wait hook → resume from outside →
 * step → done), but the workers are `--workers` child processes and this process is only a client:
 *  1. start N runs and wait until every one is suspended on its hook   → startPerSec
 *  2. resume all N hooks through the client, wait until all are done  → resumePerSec
 *     roundtripsPerSec = N / (phase 1 + phase 2)
 *  3. `--samples` runs resumed one at a time, resume → done            → p50Ms, p99Ms
 * With no LATCH_DATABASE_URL (postgres://…) it starts an embedded PostgreSQL with its default
 * durability settings. The last line of output is one JSON object with every figure.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import pg from "pg";
import { createClient } from "../src/index.js";
import { startTestPostgres, type TestPostgres } from "../test/support/postgres.js";

const { values } = parseArgs({
  options: {
    n: { type: "string", default: "1000" },
    workers: { type: "string", default: "1" },
    samples: { type: "string", default: "200" },
    concurrency: { type: "string", default: "64" },
  },
});
const N = Number(values.n);
const WORKERS = Number(values.workers);
const SAMPLES = Number(values.samples);
const CONCURRENCY = Number(values.concurrency);
const here = dirname(fileURLToPath(import.meta.url));

const external = process.env.LATCH_DATABASE_URL?.startsWith("postgres")
  ? process.env.LATCH_DATABASE_URL
  : undefined;
let server: TestPostgres | undefined;
if (!external) server = await startTestPostgres({ durability: "default" });
const url = external ?? server!.url;

const children: ChildProcess[] = [];
const stopAll = async () => {
  for (const c of children) c.kill("SIGTERM");
  await Promise.all(
    children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once("exit", r)))),
  );
};

async function startWorker(): Promise<void> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(here, "postgres-roundtrip-worker.ts"), url],
    {
      cwd: join(here, ".."),
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.setEncoding("utf8").on("data", (s: string) => {
      if (s.includes("ready ")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`worker exited with ${code} before it was ready`)));
  });
}

/** Counting straight from the tables: polling through the client would cost more than it measures. */
const counter = new pg.Client({ connectionString: url });
await counter.connect();
const count = async (sql: string): Promise<number> => Number((await counter.query(sql)).rows[0].n);
async function waitFor(sql: string, target: number): Promise<void> {
  while ((await count(sql)) < target) await new Promise((r) => setTimeout(r, 5));
}

async function pool<T>(items: T[], fn: (item: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (i < items.length) await fn(items[i++]!);
    }),
  );
}

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? 0;

try {
  await Promise.all(Array.from({ length: WORKERS }, () => startWorker()));
  const client = await createClient({ store: url });
  const PENDING = "SELECT count(*) AS n FROM latch.hook_tokens";
  const DONE = "SELECT count(*) AS n FROM latch.runs WHERE status = 'succeeded'";

  let t = performance.now();
  await pool(
    Array.from({ length: N }, (_, i) => i),
    async (i) => {
      await client.start("bench_roundtrip", i);
    },
  );
  await waitFor(PENDING, N);
  const startSec = (performance.now() - t) / 1000;

  const tokens: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.hooks.list({ status: "pending", limit: 1000, cursor });
    tokens.push(...page.items.map((h) => h.token));
    cursor = page.nextCursor;
  } while (cursor);
  t = performance.now();
  await pool(tokens, async (token) => {
    await client.resumeHook(token, { ok: true });
  });
  await waitFor(DONE, N);
  const resumeSec = (performance.now() - t) / 1000;

  const latencies: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const run = await client.start("bench_roundtrip", i);
    let token: string | undefined;
    while (!token) {
      token = (await client.hooks.list({ status: "pending", runId: run.id })).items[0]?.token;
      if (!token) await new Promise((r) => setTimeout(r, 2));
    }
    const sent = performance.now();
    await client.resumeHook(token, { ok: true });
    while ((await client.getRun(run.id))?.status !== "succeeded") await new Promise((r) => setImmediate(r));
    latencies.push(performance.now() - sent);
  }
  await client.close();

  const result = {
    bench: "hook-roundtrip",
    store: "postgres",
    workers: WORKERS,
    n: N,
    cpus: cpus().length,
    startPerSec: Math.round(N / startSec),
    resumePerSec: Math.round(N / resumeSec),
    roundtripsPerSec: Math.round(N / (startSec + resumeSec)),
    p50Ms: +pct(latencies, 50).toFixed(2),
    p99Ms: +pct(latencies, 99).toFixed(2),
  };
  console.log(JSON.stringify(result));
} finally {
  await stopAll();
  await counter.end();
  await server?.close();
}
