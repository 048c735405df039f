/**
 * Two worker processes share one database file; one is SIGKILLed while both drive runs. The
 * survivor takes the dead worker's runs over (at its next look for due runs: the holder is gone),
 * with no timer or signal from anyone, and every run completes with each step's outcome recorded once.
 */
import { expect, it } from "vitest";
import type { RunHandle } from "../../src/index.js";
import { executions, logText, ofType, runEnded, startWorker, useSpace } from "./harness.js";

const space = useSpace();

it("a surviving worker takes over the runs of a worker killed beside it", async () => {
  const workers = await Promise.all([
    startWorker(space, { leaseMs: 600 }),
    startWorker(space, { leaseMs: 600 }),
  ]);
  const runs: RunHandle[] = [];
  for (let i = 0; i < 6; i++) runs.push(await space.client.start("crash_slow_steps", 400));
  const started = (w: (typeof workers)[number]) =>
    runs.filter((r) => w.lines.includes(`step-start ${r.id} a`));
  const deadline = Date.now() + 15_000;
  while (workers.reduce((n, w) => n + started(w).length, 0) < runs.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 5));
  }
  const [victim, survivor] =
    started(workers[0]!).length >= started(workers[1]!).length ? workers : [workers[1]!, workers[0]!];
  const orphaned = started(victim!);
  expect(orphaned.length).toBeGreaterThan(0);
  // Past the workers' recordDelayMs (10 ms): every cut attempt's start is recorded, so it counts.
  await new Promise((r) => setTimeout(r, 100));
  await victim!.kill();

  for (const run of runs) {
    const done = await runEnded(space, run.id);
    const events = await space.client.events(run.id);
    expect(done.status, logText(events)).toBe("succeeded");
    expect(
      ofType(events, "step.completed").map((e) => e.name),
      logText(events),
    ).toEqual(["a", "b"]);
    expect(executions(space, run.id, "b")).toBe(1);
    // A run cut in step "a" (started by the victim, never finished there) ran it again in the survivor.
    const orphan = orphaned.includes(run);
    if (orphan) expect(done.output).toEqual({ a: survivor!.pid, b: survivor!.pid });
    const attempts = ofType(events, "step.started").filter((e) => e.name === "a");
    expect(attempts.map((e) => e.attempt)).toEqual(orphan ? [1, 2] : [1]);
    expect(executions(space, run.id, "a")).toBe(1);
  }
});
