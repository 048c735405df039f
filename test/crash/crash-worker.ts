/**
 * A worker process for the crash tests: `node --import tsx crash-worker.ts <db file> <marker dir> [leaseMs | default]`.
 *
 * It runs the workflows below until it is killed. Every step execution appends one line (this pid)
 * to `<marker dir>/<runId>.<step>` before it returns, so the test counts executions across
 * processes, and prints `step-start <runId> <step>` / `step-done <runId> <step>` on stdout so the
 * test knows when to kill. `ready` is printed once the worker runs.
 */
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  createHook,
  createLatch,
  defineWorkflow,
  HookExpiredError,
  now,
  sleep,
  step,
} from "../../src/index.js";

const [dbFile, markerDir, leaseArg] = process.argv.slice(2);
if (!dbFile || !markerDir) {
  console.error("usage: crash-worker.ts <db file> <marker dir> [leaseMs]");
  process.exit(2);
}

function executions(runId: string, name: string): number {
  const file = join(markerDir!, `${runId}.${name}`);
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean).length : 0;
}

/** A step body that leaves a marker per execution and announces itself. */
async function tracked<T>(runId: string, name: string, body: () => T | Promise<T>): Promise<T> {
  console.log(`step-start ${runId} ${name}`);
  const value = await body();
  appendFileSync(join(markerDir!, `${runId}.${name}`), `${process.pid}\n`);
  console.log(`step-done ${runId} ${name}`);
  return value;
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** (a): a step, a wait on a hook, a step using the payload. */
const hookWait = defineWorkflow("crash_hook_wait", async (tag: string) => {
  const before = await step("before", ({ runId }) => tracked(runId, "before", () => `${tag}:before`));
  const payload = await createHook<{ n: number }>({ name: "crash_wait" });
  const after = await step("after", ({ runId }) => tracked(runId, "after", () => payload.n * 2));
  return { before, payload, after };
});

/** (b): steps before and after one that blocks forever on its first execution (the test kills it there). */
const blockingStep = defineWorkflow("crash_blocking_step", async () => {
  const one = await step("one", ({ runId }) => tracked(runId, "one", () => 1));
  const two = await step("two", ({ runId }) => tracked(runId, "two", () => one + 1));
  const three = await step("slow", async ({ runId }) => {
    const first = executions(runId, "slow-attempt") === 0;
    appendFileSync(join(markerDir!, `${runId}.slow-attempt`), `${process.pid}\n`);
    if (first) {
      console.log(`step-blocked ${runId} slow`);
      await new Promise<never>(() => {});
    }
    return tracked(runId, "slow", () => two + 1);
  });
  const four = await step("four", ({ runId }) => tracked(runId, "four", () => three + 1));
  return [one, two, three, four];
});

/** (c), (d): collects `count` payloads from one hook by iterating it, with a step per payload. */
const collect = defineWorkflow("crash_collect", async (count: number, token?: string) => {
  using hook = createHook<number>({ name: "crash_collect", token });
  const seen: number[] = [];
  for await (const p of hook) {
    seen.push(p);
    await step(`ack-${seen.length}`, ({ runId }) => tracked(runId, `ack-${seen.length}`, () => p));
    if (seen.length === count) break;
  }
  return seen;
});

/**
 * (e): slow steps, a durable sleep and an iterating hook, for a worker killed at random points.
 * An attempt cut by a crash counts against the step's retries, and several kills may land in one
 * step: the budget is raised so that the test is about recovery, not about the retry policy.
 */
const loop = defineWorkflow("crash_loop", async (stepMs: number, payloads: number) => {
  const slow = (name: string, value: number) =>
    step(
      name,
      ({ runId }) =>
        tracked(runId, name, async () => {
          await pause(stepMs);
          return value;
        }),
      { retries: 20 },
    );
  const parts: number[] = [];
  parts.push(await slow("s1", 1));
  parts.push(await slow("s2", 2));
  await sleep(stepMs);
  parts.push(await slow("s3", 3));
  using hook = createHook<number>({ name: "crash_loop" });
  for await (const p of hook) {
    parts.push(await slow(`add-${parts.length - 2}`, p));
    if (parts.length === 3 + payloads) break;
  }
  parts.push(await slow("s5", 5));
  parts.push(await slow("s6", 6));
  return parts;
});

/** (f): two slow steps, for a worker frozen (SIGSTOP) past its lease while another takes over. */
const slowSteps = defineWorkflow("crash_slow_steps", async (stepMs: number) => {
  const a = await step("a", ({ runId }) => tracked(runId, "a", () => pause(stepMs).then(() => process.pid)), {
    retries: 5,
  });
  const b = await step("b", ({ runId }) => tracked(runId, "b", () => process.pid));
  return { a, b };
});

/** (g): hook timeouts and a sleep, for workers killed while the timers run. */
const timers = defineWorkflow("crash_timers", async (timeoutMs: number, sleepMs: number) => {
  const got = await createHook<number>({ name: "crash_t1", timeout: timeoutMs });
  let expired = false;
  try {
    await createHook<number>({ name: "crash_t2", timeout: timeoutMs });
  } catch (err) {
    expired = HookExpiredError.is(err);
  }
  const before = now();
  await sleep(sleepMs);
  const after = now();
  return { got, expired, slept: after - before };
});

/** (h): a step that kills its own worker at once, every time it runs. */
const suicide = defineWorkflow("crash_suicide", async (retries: number) => {
  return step(
    "die",
    ({ runId }) => {
      appendFileSync(join(markerDir!, `${runId}.die`), `${process.pid}\n`);
      process.kill(process.pid, "SIGKILL");
      return pause(60_000);
    },
    { retries, backoff: 1 },
  );
});

const latch = await createLatch({
  workflows: [hookWait, blockingStep, collect, loop, slowSteps, timers, suicide],
  store: `sqlite:${dbFile}`,
  // "default": the engine's own lease (30 s), as a user's worker has it.
  worker: leaseArg === "default" ? {} : { leaseMs: Number(leaseArg ?? 1000) },
});
console.log(`ready ${process.pid}`);

// A graceful stop for tests that want one (SIGTERM); SIGKILL is the crash.
process.on("SIGTERM", () => {
  void latch.close().then(() => process.exit(0));
});
