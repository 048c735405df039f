/**
 * (e) A crash loop: the worker is SIGKILLed several times at random points while a run with slow
 * steps, a durable sleep and an iterating hook progresses; payloads are sent from this process at
 * random moments, whether a worker is alive or not. At the end the run succeeded, every step's
 * outcome is recorded once, and every log read after a kill is a prefix of the final log (nothing
 * recorded was lost). Set CRASH_SEED to replay a failing schedule.
 */
import { expect, it } from "vitest";
import type { RunEvent, RunInfo } from "../../src/index.js";
import { executions, logText, ofType, runEnded, startWorker, useSpace, WorkerProcess } from "./harness.js";

const space = useSpace();

/** mulberry32: a small seeded PRNG, so a failing kill schedule can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const STEP_MS = 100;
const PAYLOADS = [7, 11, 13];
const STEPS = ["s1", "s2", "s3", ...PAYLOADS.map((_, i) => `add-${i + 1}`), "s5", "s6"];
const KILLS = 7;
const LEASE_MS = 600;

it("a run survives a worker killed at random points, with no recorded outcome lost or doubled", async () => {
  const seed = Number(process.env.CRASH_SEED ?? Date.now() % 1_000_000);
  const rand = prng(seed);
  const context = () => `seed ${seed} (CRASH_SEED=${seed} to replay)`;
  const run = await space.client.start("crash_loop", STEP_MS, PAYLOADS.length);

  // Payloads go out from this process at random moments, to whichever state the run is in.
  let stopSending = false;
  const sent: number[] = [];
  const sender = (async () => {
    while (!stopSending && sent.length < PAYLOADS.length) {
      await pause(30 + rand() * 300);
      const [hook] = (await space.client.hooks.list({ status: "pending", runId: run.id })).items;
      if (!hook) continue;
      const p = PAYLOADS[sent.length]!;
      await space.client.resumeHook(hook.token, p);
      sent.push(p);
    }
  })();

  const snapshots: { events: RunEvent[]; runs: Map<string, number>; killedAfter: string }[] = [];
  for (let k = 0; k < KILLS; k++) {
    const worker: WorkerProcess = await startWorker(space, { leaseMs: LEASE_MS });
    // Let the worker make some progress (0 to 2 step lines, or up to 2.5 s of waiting), then kill it
    // at a random moment inside or between steps.
    const progress = Math.floor(rand() * 3);
    const offset = rand() * STEP_MS * 1.5;
    const deadline = Date.now() + 2500;
    while (worker.lines.filter((l) => l.startsWith("step-")).length < progress && Date.now() < deadline) {
      await pause(5);
    }
    await pause(offset);
    await worker.kill();
    const events = await space.client.events(run.id);
    const runs = new Map(STEPS.map((s) => [s, executions(space, run.id, s)]));
    snapshots.push({ events, runs, killedAfter: worker.lines[worker.lines.length - 1] ?? "" });
    if (ofType(events, "run.succeeded").length) break;
  }

  await startWorker(space, { leaseMs: LEASE_MS });
  const done = await runEnded(space, run.id, 20_000);
  stopSending = true;
  await sender;
  const events = await space.client.events(run.id);
  const where = `${context()}\nkills after: ${snapshots.map((s) => JSON.stringify(s.killedAfter)).join(", ")}\n${logText(events)}`;
  console.log(
    `crash loop ${context()}: ${snapshots.length} kills, after ${snapshots.map((s) => s.killedAfter || "start").join(" | ")}`,
  );

  expect(done.status, where).toBe("succeeded");
  expect(done.output, where).toEqual([1, 2, 3, ...PAYLOADS, 5, 6]);

  // The log is whole: contiguous, and every log seen after a kill is a prefix of the final one.
  expect(
    events.map((e) => e.seq),
    where,
  ).toEqual(events.map((_, i) => i + 1));
  for (const snap of snapshots) expect(events.slice(0, snap.events.length), where).toEqual(snap.events);

  // Every outcome recorded once.
  const completed = ofType(events, "step.completed");
  expect(
    completed.map((e) => e.name),
    where,
  ).toEqual(STEPS);
  expect(new Set(completed.map((e) => e.callSeq)).size, where).toBe(STEPS.length);
  expect(ofType(events, "step.failed"), where).toEqual([]);
  const received = ofType(events, "hook.received");
  expect(
    received.map((e) => e.payload),
    where,
  ).toEqual(PAYLOADS);
  expect(new Set(received.map((e) => e.inboxId)).size, where).toBe(PAYLOADS.length);
  expect(ofType(events, "hook.created"), where).toHaveLength(1);
  expect(ofType(events, "sleep.started"), where).toHaveLength(1);
  expect(ofType(events, "sleep.completed"), where).toHaveLength(1);
  expect(ofType(events, "run.succeeded"), where).toHaveLength(1);

  // Side effects: a step whose outcome was recorded before a kill never ran again after it; every
  // extra execution is one cut by a kill (at most one per kill: steps here run one at a time).
  const final = new Map(STEPS.map((s) => [s, executions(space, run.id, s)]));
  for (const snap of snapshots) {
    for (const e of ofType(snap.events, "step.completed")) {
      expect(final.get(e.name), `${e.name} re-ran after its outcome was recorded\n${where}`).toBe(
        snap.runs.get(e.name),
      );
    }
  }
  for (const s of STEPS) expect(final.get(s), `${s}\n${where}`).toBeGreaterThanOrEqual(1);
  const extra = [...final.values()].reduce((a, n) => a + n - 1, 0);
  expect(extra, where).toBeLessThanOrEqual(snapshots.length);
});

it("a step that kills its worker at once, every time, fails after its retries instead of looping", async () => {
  // Its first attempt dies before its start is recorded (recordDelayMs); the run is then recovered
  // with every start recorded first, so each later crash counts: 1 uncounted + (retries + 1) counted.
  const retries = 1;
  const run = await space.client.start("crash_suicide", retries);
  const workers: WorkerProcess[] = [];
  const ended = runEnded(space, run.id, 20_000);
  let done: RunInfo | undefined;
  while (!done && workers.length < 6) {
    // Not waiting for "ready": the worker may claim the run and die before it prints it.
    const worker = new WorkerProcess(space, { leaseMs: 300 });
    workers.push(worker);
    done = await Promise.race([worker.exited.then(() => undefined), ended]);
  }
  done ??= await ended;
  const events = await space.client.events(run.id);
  expect(done.status, logText(events)).toBe("failed");
  expect(
    ofType(events, "step.started").map((e) => e.attempt),
    logText(events),
  ).toEqual([1, 2]);
  expect(ofType(events, "step.failed")[0]?.error.message, logText(events)).toMatch(
    /the worker stopped during attempt 2 of step "die" and no retries are left/,
  );
  expect(executions(space, run.id, "die")).toBe(3);
  // The last worker recorded the failure and lives on; every other one was killed by the step.
  expect(workers).toHaveLength(4);
});
