/**
 * The soak check (a script, not a test): worker processes on one PostgreSQL database, N runs of a
 * workflow with steps and a hook (bench/soak-worker.ts), payloads sent from a separate client
 * process (bench/soak-client.ts), while one worker at a time is SIGKILLed and restarted every few
 * seconds. Once every run has ended it checks the event logs:
 *  - every run succeeded, with the output its payloads imply;
 *  - every payload delivered exactly once: per hook, one hook.received per payload sent (each k
 *    once), and no inboxId twice across all runs;
 *  - no step recorded twice: one step.completed per callSeq;
 * and, in the tables, that no payload was left unconsumed and no hook left live.
 *
 *   npm run bench:soak -- [--n 10000] [--payloads 3] [--workers 3] [--kill-every 3] [--lease-ms 5000]
 *
 * The lease is short (the engine's default is 30 s) so that killed workers' runs are taken over
 * within the soak; much shorter than 5 s, heartbeats of live workers fall behind on a loaded
 * 2-core machine and their runs are taken from them (see bench/RESULTS.md).
 *
 * Database: LATCH_DATABASE_URL (postgres://…, a schema with no runs yet), else an embedded
 * PostgreSQL with fsync off: the fault injected is a worker process dying, not the machine.
 * Bounded in time: it gives up after `--timeout` minutes, or when no run has ended for `--stall`
 * seconds, and always kills its children and stops the server it started.
 * Exit code 0 only if every check passed. The last line of output is one JSON object.
 */
import { isDeepStrictEqual, parseArgs } from "node:util";
import { type Client, createClient, type RunEvent, type RunInfo } from "../src/index.js";
import { type BenchDatabase, benchDatabase, TableCounter } from "./bench-database.js";
import { BenchChild, stopChildren } from "./child-process.js";

const { values } = parseArgs({
  options: {
    n: { type: "string", default: "10000" },
    payloads: { type: "string", default: "3" },
    workers: { type: "string", default: "3" },
    "kill-every": { type: "string", default: "3" },
    "lease-ms": { type: "string", default: "5000" },
    lanes: { type: "string", default: "200" },
    "spread-ms": { type: "string", default: "2000" },
    timeout: { type: "string", default: "20" },
    stall: { type: "string", default: "60" },
  },
});
const positive = (name: keyof typeof values): number => {
  const v = Number(values[name]);
  if (!(v > 0)) throw new Error(`--${name}: ${values[name]} is not a positive number`);
  return v;
};
const N = positive("n");
const PAYLOADS = positive("payloads");
const WORKERS = positive("workers");
const KILL_EVERY_MS = positive("kill-every") * 1000;
const LEASE_MS = positive("lease-ms");
const DEADLINE = Date.now() + positive("timeout") * 60_000;
const STALL_MS = positive("stall") * 1000;

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const elapsed = (since: number) => `${((Date.now() - since) / 1000).toFixed(0).padStart(4)} s`;

/** Why the soak stopped early (deadline, stall, a child that died, Ctrl-C); undefined while all is well. */
let abort: string | undefined;
process.once("SIGINT", () => (abort ??= "interrupted (SIGINT)"));
process.once("SIGTERM", () => (abort ??= "interrupted (SIGTERM)"));

/** The worker processes, one per slot; the killer replaces one slot at a time. */
class Workers {
  readonly slots: BenchChild[] = [];
  kills = 0;
  unexpectedExits = 0;
  /** Engine warnings and errors of every worker, by message (ids replaced by <id>). */
  readonly logs = new Map<string, number>();
  private stopping = false;

  constructor(private readonly url: string) {}

  async start(count: number): Promise<void> {
    await Promise.all(Array.from({ length: count }, (_, slot) => this.spawn(slot)));
  }

  private async spawn(slot: number): Promise<void> {
    const worker = new BenchChild("soak-worker.ts", [this.url, String(LEASE_MS)]);
    this.slots[slot] = worker;
    worker.on((m) => {
      if (m.type !== "log") return;
      const key = `${m.level}: ${String(m.message).replace(/\b(run|hook|wkr)_[0-9A-Z]+/g, "<id>")}`;
      this.logs.set(key, (this.logs.get(key) ?? 0) + 1);
    });
    void worker.exited.then((how) => {
      if (this.stopping || abort || this.slots[slot] !== worker || how === "SIGKILL") return;
      this.unexpectedExits++;
      console.log(`worker ${worker.pid} exited by itself (${how}); starting another`);
      this.spawn(slot).catch((err) => (abort ??= `restarting a worker failed: ${err}`));
    });
    await worker.ready;
  }

  /** SIGKILLs the worker in `slot` and starts its replacement; resolves once that one runs. */
  async killAndReplace(slot: number): Promise<void> {
    const victim = this.slots[slot]!;
    await victim.kill();
    this.kills++;
    await this.spawn(slot);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.slots.map((w) => w.stop(5000)));
  }
}

/**
 * Kills one worker every KILL_EVERY_MS (kill to kill), round robin, until `stop()`; never the next
 * one before the last one's replacement runs.
 */
function startKiller(workers: Workers): { stop(): Promise<void> } {
  let running = true;
  const loop = (async () => {
    let lastKill = Date.now();
    for (let slot = 0; ; slot = (slot + 1) % WORKERS) {
      while (running && Date.now() < lastKill + KILL_EVERY_MS) await pause(50);
      if (!running) return;
      lastKill = Date.now();
      await workers.killAndReplace(slot).catch((err) => (abort ??= `restarting a worker failed: ${err}`));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
    },
  };
}

interface Verdict {
  runs: number;
  succeeded: number;
  problems: string[];
  /** Counts of each kind of problem. */
  notSucceeded: number;
  wrongOutput: number;
  missingRuns: number;
  duplicateRuns: number;
  brokenLog: number;
  payloadsNotOnce: number;
  duplicateInboxIds: number;
  duplicateSteps: number;
  /** Not failures: steps started more than once (a kill between a step's start and its record). */
  stepsRestarted: number;
  /** Not failures: payloads recorded before their hook existed (kept, then delivered). */
  earlyPayloads: number;
}

/** Reads every soak run and its event log and checks them (see the header). */
async function verify(client: Client): Promise<Verdict> {
  const runs: RunInfo[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.runs.list({ workflow: "bench_soak", limit: 1000, cursor });
    runs.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);

  const v: Verdict = {
    runs: runs.length,
    succeeded: 0,
    problems: [],
    notSucceeded: 0,
    wrongOutput: 0,
    missingRuns: 0,
    duplicateRuns: 0,
    brokenLog: 0,
    payloadsNotOnce: 0,
    duplicateInboxIds: 0,
    duplicateSteps: 0,
    stepsRestarted: 0,
    earlyPayloads: 0,
  };
  const problem = (kind: keyof Verdict, runId: string, what: string) => {
    (v[kind] as number)++;
    v.problems.push(`${runId}: ${what}`);
  };

  const tokens = new Map<string, string>();
  for (const run of runs) {
    const token = String(run.input[0]);
    if (tokens.has(token))
      problem("duplicateRuns", run.id, `a second run for ${token} (${tokens.get(token)})`);
    tokens.set(token, run.id);
  }
  for (let i = 0; i < N; i++) {
    if (!tokens.has(`soak-${i}`)) problem("missingRuns", `soak-${i}`, "no run was started for this token");
  }

  const inboxOwner = new Map<number, string>();
  const expectedSum = (PAYLOADS * (PAYLOADS - 1)) / 2;
  const check = (run: RunInfo, events: RunEvent[]) => {
    if (run.status === "succeeded") v.succeeded++;
    else problem("notSucceeded", run.id, `status ${run.status}${run.error ? `: ${run.error.message}` : ""}`);
    const token = String(run.input[0]);
    if (
      run.status === "succeeded" &&
      !isDeepStrictEqual(run.output, { token, n: PAYLOADS, sum: expectedSum })
    ) {
      problem("wrongOutput", run.id, `output ${JSON.stringify(run.output)}`);
    }

    const count = (type: RunEvent["type"]) => events.filter((e) => e.type === type).length;
    const gaps = events.some((e, i) => e.seq !== events[0]!.seq + i);
    const ends =
      count("run.succeeded") + count("run.failed") + count("run.cancelled") + count("run.timed_out");
    if (gaps || count("run.created") !== 1 || ends !== 1 || count("hook.created") !== 1) {
      problem(
        "brokenLog",
        run.id,
        `log has ${gaps ? "gaps in seq, " : ""}${count("run.created")} run.created, ${count("hook.created")} hook.created, ${ends} end events`,
      );
    }

    const created = events.find((e) => e.type === "hook.created");
    const received = events.filter((e) => e.type === "hook.received");
    const ks = received.map((e) => (e.payload as { k: number } | undefined)?.k ?? -1).sort((a, b) => a - b);
    const wanted = Array.from({ length: PAYLOADS }, (_, k) => k);
    if (!isDeepStrictEqual(ks, wanted) || received.some((e) => e.hookId !== created?.hookId)) {
      problem("payloadsNotOnce", run.id, `hook received k = [${ks.join(", ")}], sent [${wanted.join(", ")}]`);
    }
    for (const e of received) {
      const seen = inboxOwner.get(e.inboxId);
      if (seen) problem("duplicateInboxIds", run.id, `inboxId ${e.inboxId} was already received by ${seen}`);
      inboxOwner.set(e.inboxId, run.id);
      if (created && e.receivedAt < created.at) v.earlyPayloads++;
    }

    const completed = new Map<number, number>();
    const started = new Map<number, number>();
    for (const e of events) {
      if (e.type === "step.completed") completed.set(e.callSeq, (completed.get(e.callSeq) ?? 0) + 1);
      if (e.type === "step.started") started.set(e.callSeq, (started.get(e.callSeq) ?? 0) + 1);
    }
    for (const [callSeq, times] of completed) {
      if (times > 1)
        problem("duplicateSteps", run.id, `step.completed ${times} times for callSeq ${callSeq}`);
    }
    if (run.status === "succeeded" && completed.size !== PAYLOADS + 2) {
      problem("brokenLog", run.id, `${completed.size} steps completed, expected ${PAYLOADS + 2}`);
    }
    for (const times of started.values()) if (times > 1) v.stepsRestarted++;
  };

  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < runs.length) {
        const run = runs[next++]!;
        check(run, await client.events(run.id));
      }
    }),
  );
  return v;
}

async function main(): Promise<boolean> {
  let database: BenchDatabase | undefined;
  let counter: TableCounter | undefined;
  let pool: Workers | undefined;
  try {
    database = await benchDatabase("fast");
    const url = database.url;
    console.log(
      `soak: ${N} runs × ${PAYLOADS} payloads, ${WORKERS} workers (lease ${LEASE_MS} ms), one SIGKILLed every ${KILL_EVERY_MS / 1000} s; ${database.origin}`,
    );
    pool = new Workers(url);
    await pool.start(WORKERS);
    counter = new TableCounter(url);
    await counter.connect();
    if ((await counter.count("SELECT count(*) AS n FROM $s.runs")) > 0) {
      throw new Error("the database already has runs: give the soak an empty one (or no LATCH_DATABASE_URL)");
    }

    const loadBegan = Date.now();
    const load = new BenchChild("soak-client.ts", [
      url,
      String(N),
      String(PAYLOADS),
      String(values.lanes),
      String(values["spread-ms"]),
    ]);
    let sent = 0;
    let clientDone = false;
    load.on((m) => {
      if (m.type === "progress" || m.type === "done") sent = m.sent as number;
      if (m.type === "done") clientDone = true;
    });
    void load.exited.then((how) => {
      if (how !== 0 && !clientDone) abort ??= `the client process exited with ${how}`;
    });
    const killer = startKiller(pool);

    // Wait until every run has ended, printing progress.
    let ended = 0;
    let lastChange = Date.now();
    let lastPrint = 0;
    while (!abort) {
      const rows = await counter.rows<{ status: string; n: string }>(
        "SELECT status, count(*) AS n FROM $s.runs GROUP BY status",
      );
      const by = Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
      const nowEnded = (by.succeeded ?? 0) + (by.failed ?? 0) + (by.cancelled ?? 0) + (by.timed_out ?? 0);
      if (nowEnded !== ended) lastChange = Date.now();
      ended = nowEnded;
      if (Date.now() - lastPrint >= 5000 || (clientDone && ended >= N)) {
        lastPrint = Date.now();
        const states = Object.entries(by)
          .map(([s, n]) => `${s} ${n}`)
          .join(", ");
        console.log(`${elapsed(loadBegan)}  payloads sent ${sent}; runs: ${states}; kills ${pool.kills}`);
      }
      if (clientDone && ended >= N) break;
      if (Date.now() > DEADLINE)
        abort ??= `timed out after ${values.timeout} min with ${ended} of ${N} runs ended`;
      else if (Date.now() - lastChange > STALL_MS)
        abort ??= `no run ended for ${values.stall} s (${ended} of ${N})`;
      await pause(500);
    }
    const runSeconds = (Date.now() - loadBegan) / 1000;
    await killer.stop();
    await pool.stop();
    await load.stop(2000);

    const client = await createClient({ store: url });
    const verdict = await verify(client);
    await client.close();
    const unconsumed = await counter.count("SELECT count(*) AS n FROM $s.inbox WHERE consumed_at IS NULL");
    const recorded = await counter.count("SELECT count(*) AS n FROM $s.inbox");
    const liveHooks = await counter.count("SELECT count(*) AS n FROM $s.hook_tokens");

    const ok =
      !abort &&
      verdict.problems.length === 0 &&
      verdict.runs === N &&
      recorded === N * PAYLOADS &&
      unconsumed === 0 &&
      liveHooks === 0;
    console.log("");
    console.log(abort ? `STOPPED EARLY: ${abort}` : `all ${N} runs ended in ${runSeconds.toFixed(1)} s`);
    console.log(
      `worker kills ${pool.kills} (every ${KILL_EVERY_MS / 1000} s), workers that exited by themselves ${pool.unexpectedExits}`,
    );
    console.log(
      `runs ${verdict.runs} (succeeded ${verdict.succeeded}); payloads sent ${sent}, recorded ${recorded}, unconsumed ${unconsumed}; live hooks left ${liveHooks}`,
    );
    console.log(
      `checks: not succeeded ${verdict.notSucceeded}, wrong output ${verdict.wrongOutput}, missing runs ${verdict.missingRuns}, duplicate runs ${verdict.duplicateRuns}, broken logs ${verdict.brokenLog}, payloads not delivered exactly once ${verdict.payloadsNotOnce}, duplicate inboxIds ${verdict.duplicateInboxIds}, steps recorded twice ${verdict.duplicateSteps}`,
    );
    console.log(
      `not failures: steps started more than once ${verdict.stepsRestarted}, payloads kept before their hook existed ${verdict.earlyPayloads}`,
    );
    for (const [message, times] of [...pool.logs].sort((a, b) => b[1] - a[1])) {
      console.log(`  worker log ×${times}: ${message}`);
    }
    for (const p of verdict.problems.slice(0, 20)) console.log(`  problem: ${p}`);
    if (verdict.problems.length > 20) console.log(`  … and ${verdict.problems.length - 20} more problems`);
    console.log(ok ? "SOAK PASSED" : "SOAK FAILED");
    console.log(
      JSON.stringify({
        bench: "soak",
        ok,
        n: N,
        payloadsPerRun: PAYLOADS,
        workers: WORKERS,
        leaseMs: LEASE_MS,
        killEverySec: KILL_EVERY_MS / 1000,
        kills: pool.kills,
        unexpectedExits: pool.unexpectedExits,
        seconds: Number(runSeconds.toFixed(1)),
        runsPerSec: Math.round(verdict.succeeded / runSeconds),
        stoppedEarly: abort ?? null,
        runs: verdict.runs,
        succeeded: verdict.succeeded,
        payloadsSent: sent,
        payloadsRecorded: recorded,
        payloadsUnconsumed: unconsumed,
        liveHooksLeft: liveHooks,
        notSucceeded: verdict.notSucceeded,
        wrongOutput: verdict.wrongOutput,
        missingRuns: verdict.missingRuns,
        duplicateRuns: verdict.duplicateRuns,
        brokenLogs: verdict.brokenLog,
        payloadsNotOnce: verdict.payloadsNotOnce,
        duplicateInboxIds: verdict.duplicateInboxIds,
        duplicateSteps: verdict.duplicateSteps,
        stepsRestarted: verdict.stepsRestarted,
        earlyPayloads: verdict.earlyPayloads,
      }),
    );
    return ok;
  } finally {
    await pool?.stop();
    await stopChildren(2000);
    await counter?.close().catch(() => {});
    await database?.close();
  }
}

main().then(
  (ok) => process.exit(ok ? 0 : 1),
  async (err) => {
    console.error(err);
    await stopChildren(2000);
    process.exit(1);
  },
);
