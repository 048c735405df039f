/**
 * A worker frozen (SIGSTOP) in the middle of a step for longer than its lease, among three on one
 * PostgreSQL database: another worker takes the run over and completes it. Continued (SIGCONT),
 * the frozen worker's step finishes, but it cannot record anything: its lease is gone and the log
 * moved on. Either its heartbeat finds the lease lost first and it stops, or (frozen inside a
 * step that blocks the event loop, so the commit goes out before any timer) its append is refused;
 * both times it drops the run and keeps serving other runs.
 */
import { expect, it } from "vitest";
import { executions, logText, ofType, runEnded, startWorkers, useCluster } from "./harness.js";

const cluster = useCluster();

it("a worker frozen past its lease cannot record over the worker that took its run over", async () => {
  const workers = await startWorkers(cluster, 3, { leaseMs: 800 });
  const run = await cluster.client.start("scale_slow", 1500);
  const started = new RegExp(`^step-start ${run.id} a$`);
  const frozen = await Promise.race(workers.map((w) => w.waitFor(started).then(() => w)));
  frozen.child.kill("SIGSTOP");

  const done = await runEnded(cluster, run.id);
  const events = await cluster.client.events(run.id);
  expect(done.status, logText(events)).toBe("succeeded");
  const { a: taker } = done.output as { a: number; b: number };
  expect(taker).not.toBe(frozen.pid);
  expect(done.output).toEqual({ a: taker, b: taker });

  // Continue it: its step ends at once (its time passed while frozen) and it tries to record.
  frozen.child.kill("SIGCONT");
  await frozen.waitFor(new RegExp(`^step-done ${run.id} a$`), 10_000);
  await new Promise((r) => setTimeout(r, 500));
  expect(await cluster.client.events(run.id)).toEqual(events);
  expect((await cluster.client.getRun(run.id))?.output).toEqual(done.output);
  expect(frozen.lines).not.toContainEqual(expect.stringMatching(new RegExp(`^step-start ${run.id} b$`)));
  expect(executions(cluster, run.id, "a").sort()).toEqual([frozen.pid, taker].sort());
  expect(executions(cluster, run.id, "b")).toEqual([taker]);
  expect(ofType(events, "step.completed").map((e) => e.name)).toEqual(["a", "b"]);

  // It dropped that run and is still a working member of the pool.
  expect(frozen.child.exitCode).toBeNull();
  const others = workers.filter((w) => w !== frozen);
  await Promise.all(others.map((w) => w.kill()));
  const next = await cluster.client.start("scale_slow", 10);
  expect((await runEnded(cluster, next.id)).output).toEqual({ a: frozen.pid, b: frozen.pid });
});

it("continued, a worker frozen past its lease sends its append, which is refused, and drops the run", async () => {
  const workers = await startWorkers(cluster, 3, { leaseMs: 800 });
  const run = await cluster.client.start("scale_busy", 400);
  const started = new RegExp(`^step-start ${run.id} a$`);
  const frozen = await Promise.race(workers.map((w) => w.waitFor(started).then(() => w)));
  frozen.child.kill("SIGSTOP");

  const done = await runEnded(cluster, run.id);
  const events = await cluster.client.events(run.id);
  expect(done.status, logText(events)).toBe("succeeded");
  const { a: taker } = done.output as { a: number; b: number };
  expect(taker).not.toBe(frozen.pid);

  frozen.child.kill("SIGCONT");
  // The commit of its step went out and came back refused (lease lost): it drops the run.
  await frozen.waitFor(new RegExp(`^warn run ${run.id}: dropped \\(conflict\\)`), 10_000);
  expect(await cluster.client.events(run.id)).toEqual(events);
  expect(frozen.lines).not.toContainEqual(expect.stringMatching(new RegExp(`^step-start ${run.id} b$`)));
  expect(executions(cluster, run.id, "a").sort()).toEqual([frozen.pid, taker].sort());
  expect(executions(cluster, run.id, "b")).toEqual([taker]);
  expect(frozen.child.exitCode).toBeNull();
});
