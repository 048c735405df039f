/**
 * A worker process for the scale-out tests:
 * `node --import tsx scale-worker.ts <postgres url> <marker dir> <leaseMs> <claimBatch>`.
 *
 * Runs the workflows below until killed. Every step execution appends a line (this pid) to
 * `<marker dir>/<runId>.<step>` before it returns, so the test counts executions across processes,
 * and prints `step-start <runId> <step>` / `step-done <runId> <step>` so the test knows when to kill
 * or freeze it. Prints `ready <pid>` once the worker runs.
 */
import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { createHook, createLatch, defineWorkflow, HookExpiredError, sleep, step } from "../../src/index.js";

const [url, markerDir, leaseArg, batchArg] = process.argv.slice(2);
if (!url || !markerDir) {
  console.error("usage: scale-worker.ts <postgres url> <marker dir> [leaseMs] [claimBatch]");
  process.exit(2);
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A step body that leaves a marker per execution and announces itself. */
async function tracked<T>(runId: string, name: string, body: () => T | Promise<T>): Promise<T> {
  console.log(`step-start ${runId} ${name}`);
  const value = await body();
  appendFileSync(join(markerDir!, `${runId}.${name}`), `${process.pid}\n`);
  console.log(`step-done ${runId} ${name}`);
  return value;
}

/** step → wait for a payload → step. */
const approval = defineWorkflow("scale_approval", async (n: number) => {
  const before = await step("before", ({ runId }) => tracked(runId, "before", () => n));
  const payload = await createHook<{ ok: boolean }>({ name: "scale_wait" });
  return step("after", ({ runId }) =>
    tracked(runId, "after", () => ({ n: before, ok: payload.ok, pid: process.pid })),
  );
});

/** A durable sleep and a hook that times out, each followed by a step: timers must fire once. */
const timers = defineWorkflow("scale_timers", async (sleepMs: number, timeoutMs: number) => {
  await sleep(sleepMs);
  const slept = await step("after-sleep", ({ runId }) => tracked(runId, "after-sleep", () => process.pid));
  let expired = false;
  try {
    await createHook<unknown>({ name: "scale_timeout", timeout: timeoutMs });
  } catch (err) {
    expired = HookExpiredError.is(err);
  }
  const after = await step("after-timeout", ({ runId }) =>
    tracked(runId, "after-timeout", () => process.pid),
  );
  return { slept, expired, after };
});

/** Two steps; the first takes `stepMs`, for workers killed or frozen in the middle of it. */
const slow = defineWorkflow("scale_slow", async (stepMs: number) => {
  const a = await step("a", ({ runId }) => tracked(runId, "a", () => pause(stepMs).then(() => process.pid)), {
    retries: 5,
  });
  const b = await step("b", ({ runId }) => tracked(runId, "b", () => process.pid));
  return { a, b };
});

/**
 * Like scale_slow, but step "a" blocks the event loop (a long synchronous computation). Frozen in
 * it, the worker on SIGCONT finishes the step and sends its commit before any timer (such as the
 * lease heartbeat) runs: the append itself must be refused.
 */
const busy = defineWorkflow("scale_busy", async (blockMs: number) => {
  const a = await step("a", ({ runId }) =>
    tracked(runId, "a", () => {
      const until = Date.now() + blockMs;
      while (Date.now() < until) {
        // busy: nothing else in this process runs meanwhile
      }
      return process.pid;
    }),
  );
  const b = await step("b", ({ runId }) => tracked(runId, "b", () => process.pid));
  return { a, b };
});

const latch = await createLatch({
  workflows: [approval, timers, slow, busy],
  store: url,
  worker: { leaseMs: Number(leaseArg ?? 1000), claimBatch: Number(batchArg ?? 256) },
  // On stdout, so the test sees "dropped (lease_lost)" and the like next to the step lines.
  logger: {
    warn: (message, details) => console.log(`warn ${message} ${JSON.stringify(details ?? {})}`),
    error: (message, details) => console.log(`error ${message} ${JSON.stringify(details ?? {})}`),
  },
});
console.log(`ready ${process.pid}`);

// A graceful stop for tests that want one (SIGTERM); SIGKILL is the crash.
process.on("SIGTERM", () => {
  void latch.close().then(() => process.exit(0));
});
