/**
 * (c) While a worker process runs, a second process (this one, with createClient on the same file)
 * lists the pending hooks and resumes them; the worker picks each resume up promptly.
 */
import { expect, it } from "vitest";
import {
  executions,
  logText,
  ofType,
  pendingHook,
  runEnded,
  runInStatus,
  startWorker,
  useSpace,
} from "./harness.js";

const space = useSpace();

it("a second process lists pending hooks and resumes them; the worker picks each up in well under a second", async () => {
  const worker = await startWorker(space);
  const runs = [];
  for (const tag of ["c1", "c2", "c3", "c4", "c5"])
    runs.push(await space.client.start("crash_hook_wait", tag));
  for (const run of runs) {
    await pendingHook(space, run.id);
    await runInStatus(space, run.id, "suspended");
  }

  const listed = (await space.client.hooks.list({ status: "pending", name: "crash_wait" })).items;
  expect(listed.map((h) => h.runId).sort()).toEqual(runs.map((r) => r.id).sort());

  const latencies: number[] = [];
  for (const [i, hook] of listed.entries()) {
    const t0 = performance.now();
    await space.client.resumeHook(hook.token, { n: i });
    const done = await runEnded(space, hook.runId, 5000);
    latencies.push(performance.now() - t0);
    const events = await space.client.events(hook.runId);
    expect(done.status, logText(events)).toBe("succeeded");
    expect(done.output).toMatchObject({ payload: { n: i }, after: i * 2 });
    expect(ofType(events, "hook.received")).toHaveLength(1);
    expect(executions(space, hook.runId, "after")).toBe(1);
    // The others are untouched: still suspended on their hooks.
    const pending = (await space.client.hooks.list({ status: "pending", name: "crash_wait" })).items;
    expect(pending).toHaveLength(listed.length - i - 1);
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  console.log(`resume → succeeded across processes (ms): ${sorted.map((ms) => ms.toFixed(1)).join(", ")}`);
  expect(sorted[sorted.length - 1]).toBeLessThan(500);
  expect(worker.child.exitCode).toBeNull();
});
