/**
 * Three worker processes on one PostgreSQL database, runs started and resumed from this (a fourth)
 * process: every run is executed by one worker at a time (each step once), idle workers are woken
 * by LISTEN/NOTIFY (no polling interval in the resume latency), and sleeps and hook timeouts fire
 * exactly once across the workers.
 */
import { expect, it } from "vitest";
import { executions, logText, ofType, pendingHook, runEnded, startWorkers, useCluster } from "./harness.js";

const cluster = useCluster();

it("three workers share a burst of runs; each step runs once; payloads come from another process", async () => {
  const workers = await startWorkers(cluster, 3, { claimBatch: 3 });
  const N = 45;
  const runs = await Promise.all(
    Array.from({ length: N }, (_, i) => cluster.client.start("scale_approval", i)),
  );
  const hooks = await Promise.all(runs.map((r) => pendingHook(cluster, r.id)));
  await Promise.all(hooks.map((h) => cluster.client.resumeHook(h.token, { ok: true })));
  const ended = await Promise.all(runs.map((r) => runEnded(cluster, r.id)));

  const pids = new Set<number>();
  for (const [i, run] of ended.entries()) {
    expect(run.status, logText(await cluster.client.events(run.id))).toBe("succeeded");
    expect(run.output).toMatchObject({ n: i, ok: true });
    const before = executions(cluster, run.id, "before");
    const after = executions(cluster, run.id, "after");
    expect([before.length, after.length]).toEqual([1, 1]);
    for (const pid of [...before, ...after]) pids.add(pid);
    const events = await cluster.client.events(run.id);
    expect(ofType(events, "step.completed").map((e) => e.name)).toEqual(["before", "after"]);
    expect(ofType(events, "hook.received")).toHaveLength(1);
  }
  // The burst was spread: more than one worker executed steps (claims take 3 runs at a time).
  expect(pids.size).toBeGreaterThanOrEqual(2);
  for (const pid of pids) expect(workers.map((w) => w.pid)).toContain(pid);
});

it("an idle worker is woken by NOTIFY: resume-to-completion is not bound by a polling interval", async () => {
  await startWorkers(cluster, 3);
  const latencies: number[] = [];
  for (let i = 0; i < 5; i++) {
    const run = await cluster.client.start("scale_approval", i);
    const hook = await pendingHook(cluster, run.id);
    // Every worker idle: nothing held, no timer due.
    await new Promise((r) => setTimeout(r, 150));
    const sent = Date.now();
    await cluster.client.resumeHook(hook.token, { ok: true });
    const done = await runEnded(cluster, run.id);
    latencies.push(Date.now() - sent);
    expect(done.status).toBe("succeeded");
  }
  latencies.sort((a, b) => a - b);
  // Typically 5-30 ms on loopback; a poll-driven worker would need its interval on top.
  expect(latencies[2]!, `latencies ${latencies.join(", ")} ms`).toBeLessThan(500);
});

it("sleeps and hook timeouts fire exactly once across three workers", async () => {
  await startWorkers(cluster, 3, { claimBatch: 2 });
  const runs = await Promise.all(
    Array.from({ length: 20 }, () => cluster.client.start("scale_timers", 300, 300)),
  );
  const ended = await Promise.all(runs.map((r) => runEnded(cluster, r.id)));
  for (const run of ended) {
    const events = await cluster.client.events(run.id);
    expect(run.status, logText(events)).toBe("succeeded");
    expect(run.output).toMatchObject({ expired: true });
    expect(ofType(events, "sleep.completed"), logText(events)).toHaveLength(1);
    expect(ofType(events, "hook.expired"), logText(events)).toHaveLength(1);
    expect(executions(cluster, run.id, "after-sleep")).toHaveLength(1);
    expect(executions(cluster, run.id, "after-timeout")).toHaveLength(1);
    // Not before its time, whichever worker fired it.
    expect(ofType(events, "sleep.completed")[0]!.at).toBeGreaterThanOrEqual(
      ofType(events, "sleep.started")[0]!.until,
    );
  }
});
