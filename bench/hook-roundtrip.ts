/**
 * The hook round-trip benchmark (a script, not a test).
 *
 *   npm run bench:roundtrip -- --n 10000 [--store sqlite]
 *
 * Scenario per run: step → wait hook → resume from outside → step → done.
 *  1. start N runs and wait until every one is suspended on its hook   → startPerSec
 *  2. resume all N hooks through a client and wait until all are done → resumePerSec
 *     roundtripsPerSec = N / (phase 1 + phase 2)
 *  3. 200 runs resumed one at a time, resume → result()              → p50Ms, p99Ms
 *  4. one run iterating a hook for 10,000 payloads                     → iterFirstMs, iterLastMs
 * Peak RSS of the process (worker and clients share it) is sampled throughout → rssMb.
 * `--with-hooks` adds all nine lifecycle hooks (no-op handlers) to the workflow and one no-op
 * interceptor, to measure what they cost.
 * The last line of output is one JSON object with every figure.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createHook, createLatch, defineWorkflow, type Latch, step } from "../src/index.js";

const { values } = parseArgs({
  options: {
    n: { type: "string", default: "1000" },
    store: { type: "string", default: "sqlite" },
    iterations: { type: "string", default: "10000" },
    samples: { type: "string", default: "200" },
    "with-hooks": { type: "boolean", default: false },
  },
});
const WITH_HOOKS = values["with-hooks"];
const N = Number(values.n);
const ITER = Number(values.iterations);
const SAMPLES = Number(values.samples);
if (!Number.isInteger(N) || N < 1) throw new Error(`--n: ${values.n} is not a positive whole number`);
if (values.store !== "sqlite")
  throw new Error(`--store: ${values.store} is not supported by this bench yet (use sqlite)`);

let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 25);

const noop = () => {};
const lifecycle = Object.fromEntries(
  [
    "onStart",
    "onSuccess",
    "onFailure",
    "onError",
    "onCancel",
    "onTimeout",
    "onExit",
    "onSuspend",
    "onResume",
  ].map((h) => [h, noop]),
);
const roundtrip = defineWorkflow(
  { name: "bench_roundtrip", hooks: WITH_HOOKS ? lifecycle : undefined },
  async (i: number) => {
    const order = await step("prepare", () => ({ i, total: i * 2 }));
    const decision = await createHook<{ ok: boolean }>({ name: "bench_approval" });
    return step("finish", () => ({ ...order, ok: decision.ok }));
  },
);

let onBatch: ((n: number) => void) | undefined;
const iterate = defineWorkflow("bench_iterate", async (total: number) => {
  const hook = createHook<number>({ token: "bench-iterate" });
  let n = 0;
  for await (const _ of hook) {
    n++;
    if (n % 1000 === 0) await step("batch", () => onBatch?.(n));
    if (n === total) break;
  }
  return n;
});

const dir = mkdtempSync(join(tmpdir(), "latch-bench-"));
const store = `sqlite:${join(dir, "bench.db")}`;
const ms = (a: bigint, b: bigint) => Number(b - a) / 1e6;

async function pendingTokens(latch: Latch, expect: number): Promise<string[]> {
  const tokens: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await latch.hooks.list({ status: "pending", name: "bench_approval", limit: 1000, cursor });
    for (const h of page.items) tokens.push(h.token);
    cursor = page.nextCursor;
  } while (cursor);
  if (tokens.length !== expect) throw new Error(`expected ${expect} pending hooks, found ${tokens.length}`);
  return tokens;
}

async function inChunks<T>(items: T[], size: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

async function main() {
  const latch = await createLatch({
    workflows: [roundtrip, iterate],
    store,
    worker: { concurrency: 2000 },
    interceptors: WITH_HOOKS ? [{ name: "noop", beforeStep: noop, afterStep: noop }] : [],
  });
  try {
    // 1. start + suspend
    const t0 = process.hrtime.bigint();
    const ids: string[] = [];
    await inChunks(
      Array.from({ length: N }, (_, i) => i),
      1000,
      async (i) => ids.push((await latch.start(roundtrip, i)).id),
    );
    await latch.idle();
    const t1 = process.hrtime.bigint();
    const tokens = await pendingTokens(latch, N);
    const rssSuspended = process.memoryUsage().rss;

    // 2. resume all, wait for all
    const t2 = process.hrtime.bigint();
    await inChunks(tokens, 1000, (token) => latch.resumeHook(token, { ok: true }));
    await latch.idle();
    const t3 = process.hrtime.bigint();
    const done = await latch.runs.list({ status: "succeeded", workflow: "bench_roundtrip", limit: 1 });
    if (done.items.length === 0) throw new Error("no run succeeded");

    // 3. latency, one at a time
    const lat: number[] = [];
    for (let s = 0; s < SAMPLES; s++) {
      const run = await latch.start(roundtrip, s);
      await latch.idle();
      const [hook] = (await latch.hooks.list({ status: "pending", runId: run.id })).items;
      const a = process.hrtime.bigint();
      await latch.resumeHook(hook!.token, { ok: true });
      await run.result();
      lat.push(ms(a, process.hrtime.bigint()));
    }
    lat.sort((x, y) => x - y);
    const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))]!;

    // 4. one run iterating a hook
    const batches: number[] = [];
    let last = process.hrtime.bigint();
    let batchDone: (() => void) | undefined;
    onBatch = () => {
      const now = process.hrtime.bigint();
      batches.push(ms(last, now));
      last = now;
      batchDone?.();
    };
    const iter = await latch.start(iterate, ITER);
    await latch.idle();
    last = process.hrtime.bigint();
    for (let b = 0; b < ITER / 1000; b++) {
      const reached = new Promise<void>((r) => {
        batchDone = r;
      });
      for (let k = 0; k < 1000; k++) await latch.resumeHook("bench-iterate", b * 1000 + k);
      await reached;
    }
    if ((await iter.result()) !== ITER) throw new Error("iteration lost payloads");

    const startSec = ms(t0, t1) / 1000;
    const resumeSec = ms(t2, t3) / 1000;
    const result = {
      n: N,
      store: values.store,
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
      `rss with ${N} suspended: ${Math.round(rssSuspended / 1048576)} MB; iteration batches (ms): ${batches.map(Math.round).join(" ")}`,
    );
    console.log(JSON.stringify(result));
  } finally {
    clearInterval(sampler);
    await latch.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
