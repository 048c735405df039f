/**
 * A worker SIGKILLed while three share one PostgreSQL database: mid-step, another worker takes the
 * run over once the lease ends (within lease + 1 s) and completes it; mid-wait (the run suspended
 * on a hook), the payload is picked up by another worker at once. No recorded outcome is lost or
 * doubled.
 */
import { expect, it } from "vitest";
import {
  executions,
  logText,
  ofType,
  pendingHook,
  runEnded,
  startWorkers,
  useCluster,
  type WorkerProcess,
} from "./harness.js";

const cluster = useCluster();

const LEASE_MS = 1000;

it("a worker killed mid-step: another takes the run over within lease + 1 s and completes it", async () => {
  const workers = await startWorkers(cluster, 3, { leaseMs: LEASE_MS });
  const run = await cluster.client.start("scale_slow", 800);
  const started = new RegExp(`^step-start ${run.id} a$`);
  const holder = await Promise.race(workers.map((w) => w.waitFor(started).then(() => w)));
  const others = workers.filter((w) => w !== holder);

  // Past the worker's recordDelayMs (10 ms): the attempt's start is recorded, so the kill counts.
  await new Promise((r) => setTimeout(r, 100));
  await holder.kill();
  const killedAt = Date.now();
  const taker = await Promise.race(others.map((w) => w.waitFor(started).then(() => w)));
  const takeOverMs = Date.now() - killedAt;
  console.log(`take-over of a killed worker's run after ${takeOverMs} ms (lease ${LEASE_MS} ms)`);
  expect(takeOverMs, `take-over after ${takeOverMs} ms`).toBeLessThanOrEqual(LEASE_MS + 1000);

  const done = await runEnded(cluster, run.id);
  const events = await cluster.client.events(run.id);
  expect(done.status, logText(events)).toBe("succeeded");
  expect(done.output).toEqual({ a: taker.pid, b: taker.pid });
  // The killed attempt never finished: each step's outcome was produced and recorded once.
  expect(executions(cluster, run.id, "a")).toEqual([taker.pid]);
  expect(executions(cluster, run.id, "b")).toEqual([taker.pid]);
  expect(ofType(events, "step.completed").map((e) => e.name)).toEqual(["a", "b"]);
  expect(ofType(events, "step.started").filter((e) => e.name === "a").length).toBeGreaterThanOrEqual(2);
});

it("a worker killed while its run waits on a hook: another worker takes the payload at once", async () => {
  const workers = await startWorkers(cluster, 3, { leaseMs: LEASE_MS });
  const run = await cluster.client.start("scale_approval", 7);
  const hook = await pendingHook(cluster, run.id);
  const [ranBefore] = executions(cluster, run.id, "before");
  const holder = workers.find((w) => w.pid === ranBefore) as WorkerProcess;
  // Its warm continuation dies with it; the run is released (suspended), so nothing waits for a lease.
  await holder.kill();

  const sent = Date.now();
  await cluster.client.resumeHook(hook.token, { ok: true });
  const done = await runEnded(cluster, run.id);
  expect(Date.now() - sent).toBeLessThan(LEASE_MS);
  const events = await cluster.client.events(run.id);
  expect(done.status, logText(events)).toBe("succeeded");
  expect(done.output).toMatchObject({ n: 7, ok: true });
  expect(executions(cluster, run.id, "before")).toEqual([holder.pid]);
  const [ranAfter] = executions(cluster, run.id, "after");
  expect(ranAfter).not.toBe(holder.pid);
  expect(ofType(events, "step.completed").map((e) => e.name)).toEqual(["before", "after"]);
});

it("a worker killed during a durable sleep: the timer fires once, on another worker", async () => {
  const workers = await startWorkers(cluster, 3, { leaseMs: LEASE_MS });
  const runs = await Promise.all(
    [0, 1, 2, 3, 4, 5].map(() => cluster.client.start("scale_timers", 1500, 100)),
  );
  // Let every run record its sleep, then kill one worker (whichever runs it held are released and
  // waiting on their timers, or held and taken over after the lease).
  await new Promise((r) => setTimeout(r, 500));
  await workers[0]!.kill();
  const ended = await Promise.all(runs.map((r) => runEnded(cluster, r.id)));
  for (const run of ended) {
    const events = await cluster.client.events(run.id);
    expect(run.status, logText(events)).toBe("succeeded");
    expect(ofType(events, "sleep.completed")).toHaveLength(1);
    expect(executions(cluster, run.id, "after-sleep")).toHaveLength(1);
    expect(executions(cluster, run.id, "after-sleep")[0]).not.toBe(workers[0]!.pid);
  }
});
