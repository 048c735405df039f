/**
 * The HTTP surfaces benchmark (a script, not a test).
 *
 *   npx tsx bench/http-resume.ts [--n 20000] [--connections 32] [--list 100000]
 *
 * 1. resume, recorded: N runs suspended on a typed hook (JSON Schema stored); a `latch serve`-like
 *    server (client only, no worker) in a child process; autocannon on loopback POSTs
 *    /api/hooks/{token}/resume once per token (bearer key, JSON body, schema validation).
 * 2. resume, with a worker in the server's process (`latch dev`-like): every payload also wakes its
 *    run, which finishes — on the same event loop as the HTTP server.
 * 3. resume, with a worker in its own process (`latch serve` + `latch worker`), the deployment shape.
 * 4. `latch hooks list`: --list hooks pending in the database; the built CLI (dist/cli/main.js) run
 *    as a subprocess, wall time per invocation (node start-up included), median of 7.
 * The last line of output is one JSON object with every figure.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { z } from "zod";
import { createClient, createLatch, defineHook, defineWorkflow, type Latch } from "../src/index.js";
import { silentLogger } from "../src/runtime/logger.js";
import { startServer } from "../src/server/index.js";

const { values } = parseArgs({
  options: {
    n: { type: "string", default: "20000" },
    connections: { type: "string", default: "32" },
    list: { type: "string", default: "100000" },
    role: { type: "string" },
    db: { type: "string" },
    worker: { type: "boolean", default: false },
  },
});
const KEY = "lk_bench";
const approval = defineHook(
  "bench_http_approval",
  z.object({ approved: z.boolean(), reviewer: z.string().min(1) }),
);
const flow = defineWorkflow("bench_http", async (i: number) => {
  const d = await approval.create({ timeout: "1d" });
  return { i, ok: d.approved };
});

if (values.role === "server") await serveChild(values.db!, values.worker);
else if (values.role === "worker") await workerChild(values.db!);
else await main();

/** A worker alone in its process, as `latch worker` runs it. */
async function workerChild(db: string) {
  const latch = await createLatch({ workflows: [flow], store: db, logger: silentLogger });
  process.stdout.write("ready\n");
  process.on("SIGTERM", async () => {
    await latch.close();
    process.exit(0);
  });
}

/** The server under test, alone in its process (as `latch serve` or `latch dev` would run). */
async function serveChild(db: string, withWorker: boolean) {
  const client = withWorker
    ? await createLatch({ workflows: [flow], store: db, logger: silentLogger })
    : await createClient({ store: db });
  const server = await startServer({
    client,
    apiKeys: [KEY],
    port: 0,
    logger: silentLogger,
    metricsCacheMs: 60_000,
  });
  process.stdout.write(`${server.url}\n`);
  process.on("SIGTERM", async () => {
    await server.close();
    await client.close();
    process.exit(0);
  });
}

async function main() {
  const N = Number(values.n);
  const LIST = Number(values.list);
  const connections = Number(values.connections);
  const dir = mkdtempSync(join(tmpdir(), "latch-http-bench-"));
  const out: Record<string, unknown> = {
    n: N,
    connections,
    store: "sqlite (file, WAL)",
    node: process.version,
  };
  try {
    for (const mode of ["recorded", "sameProcessWorker", "separateWorker"] as const) {
      const db = `sqlite:${join(dir, `resume-${mode}.db`)}`;
      const seeded = await seed(db, N);
      const r = await loadTest(db, mode, seeded.tokens, connections);
      const key = `resume_${mode}`;
      out[key] = { ...r, seedPerSec: Math.round(N / seeded.seconds) };
      console.log(`${key}:`, JSON.stringify(out[key]));
    }
    const listDb = `sqlite:${join(dir, "list.db")}`;
    const seeded = await seed(listDb, LIST);
    out.hooksList = { hooks: LIST, seedPerSec: Math.round(LIST / seeded.seconds), ...timeCli(listDb) };
    console.log("hooks list:", JSON.stringify(out.hooksList));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(JSON.stringify(out));
}

/** N runs, each suspended on its hook: started in batches, driven by a worker in this process. */
async function seed(db: string, n: number): Promise<{ tokens: string[]; seconds: number }> {
  const t0 = performance.now();
  const latch: Latch = await createLatch({ workflows: [flow], store: db, logger: silentLogger });
  for (let i = 0; i < n; i += 1000) {
    await Promise.all(Array.from({ length: Math.min(1000, n - i) }, (_, j) => latch.start(flow, i + j)));
    await latch.idle();
  }
  await latch.idle();
  const tokens: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await latch.hooks.list({ status: "pending", limit: 1000, cursor });
    tokens.push(...page.items.map((h) => h.token));
    cursor = page.nextCursor;
  } while (cursor);
  await latch.close();
  if (tokens.length !== n) throw new Error(`seeded ${tokens.length} hooks, wanted ${n}`);
  return { tokens, seconds: (performance.now() - t0) / 1000 };
}

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  duration: number;
  non2xx: number;
  errors: number;
  "2xx": number;
}

async function loadTest(db: string, mode: string, tokens: string[], connections: number) {
  const self = fileURLToPath(import.meta.url);
  const launch = (args: string[]) => {
    const child = spawn(process.execPath, [...process.execArgv, self, "--db", db, ...args], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const first = new Promise<string>((resolve, reject) => {
      child.stdout.once("data", (d) => resolve(String(d).trim()));
      child.once("exit", (code) => reject(new Error(`${args.join(" ")} exited ${code}`)));
    });
    return { child, first };
  };
  const server = launch(["--role", "server", ...(mode === "sameProcessWorker" ? ["--worker"] : [])]);
  const worker = mode === "separateWorker" ? launch(["--role", "worker"]) : undefined;
  const url = await server.first;
  await worker?.first;
  const autocannon = createRequire(import.meta.url)("autocannon") as (o: object) => Promise<AutocannonResult>;
  let i = 0;
  const body = JSON.stringify({ payload: { approved: true, reviewer: "bench" } });
  const t0 = performance.now();
  const result = await autocannon({
    url,
    connections,
    amount: tokens.length,
    requests: [
      {
        method: "POST",
        headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
        setupRequest: (req: Record<string, unknown>) => ({
          ...req,
          path: `/api/hooks/${encodeURIComponent(tokens[i++ % tokens.length]!)}/resume`,
          body,
        }),
      },
    ],
  });
  const seconds = (performance.now() - t0) / 1000;
  for (const p of [server, worker]) {
    if (!p) continue;
    p.child.kill("SIGTERM");
    await new Promise((r) => p.child.once("exit", r));
  }
  return {
    resumesPerSec: Math.round(result["2xx"] / seconds),
    ok: result["2xx"],
    non2xx: result.non2xx,
    errors: result.errors,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    seconds: Math.round(seconds * 100) / 100,
  };
}

/** Wall time of the built CLI listing hooks, as a person or script would run it. */
function timeCli(db: string) {
  const root = fileURLToPath(new URL("../", import.meta.url));
  const bin = join(root, "dist/cli/main.js");
  if (!existsSync(bin)) execFileSync("npm", ["run", "build"], { cwd: root, stdio: "ignore" });
  const time = (args: string[]) => {
    const samples: number[] = [];
    for (let k = 0; k < 7; k++) {
      const t0 = performance.now();
      execFileSync(process.execPath, [bin, "--db", db, ...args], { stdio: "ignore" });
      samples.push(performance.now() - t0);
    }
    return Math.round(samples.sort((a, b) => a - b)[3]!);
  };
  const baseline = (() => {
    const samples: number[] = [];
    for (let k = 0; k < 7; k++) {
      const t0 = performance.now();
      execFileSync(process.execPath, ["-e", "0"]);
      samples.push(performance.now() - t0);
    }
    return Math.round(samples.sort((a, b) => a - b)[3]!);
  })();
  return {
    listMs: time(["hooks", "list"]),
    listPendingMs: time(["hooks", "list", "--status", "pending"]),
    listPendingJsonLimit1000Ms: time(["--json", "hooks", "list", "--status", "pending", "--limit", "1000"]),
    nodeStartMs: baseline,
  };
}
