/**
 * (b) A worker SIGKILLed in the middle of a step: a new worker takes the run over (at once: it sees
 * the holder is gone; dead-holder.test.ts shows it with the default lease) and completes it. Steps completed before the kill do not run again; the
 * interrupted step does (at-least-once), and its outcome is recorded once.
 */
import { expect, it } from "vitest";
import { executions, logText, ofType, runEnded, startWorker, useSpace } from "./harness.js";

const space = useSpace();

it("a worker killed mid-step: the run is taken over, done steps are not re-run, the cut step is", async () => {
  const first = await startWorker(space, { leaseMs: 1000 });
  const run = await space.client.start("crash_blocking_step");
  await first.waitFor(new RegExp(`^step-blocked ${run.id} slow$`));
  expect((await space.client.getRun(run.id))?.status).toBe("running");
  await first.kill();

  const killedAt = Date.now();
  const second = await startWorker(space, { leaseMs: 1000 });
  const done = await runEnded(space, run.id);
  const tookOverMs = Date.now() - killedAt;
  const events = await space.client.events(run.id);
  expect(done.status, logText(events)).toBe("succeeded");
  expect(done.output).toEqual([1, 2, 3, 4]);

  // Side effects, counted across both processes.
  expect(executions(space, run.id, "one")).toBe(1);
  expect(executions(space, run.id, "two")).toBe(1);
  expect(executions(space, run.id, "slow-attempt")).toBe(2);
  expect(executions(space, run.id, "slow")).toBe(1);
  expect(executions(space, run.id, "four")).toBe(1);
  expect(second.lines).not.toContainEqual(expect.stringMatching(/step-start .* (one|two)$/));

  // Recorded outcomes: one per step, in order; the cut attempt is visible as a second attempt.
  const completed = ofType(events, "step.completed");
  expect(completed.map((e) => e.name)).toEqual(["one", "two", "slow", "four"]);
  expect(new Set(completed.map((e) => e.callSeq)).size).toBe(4);
  const slowStarts = ofType(events, "step.started").filter((e) => e.name === "slow");
  expect(slowStarts.map((e) => e.attempt)).toEqual([1, 2]);
  expect(ofType(events, "run.resumed").map((e) => e.reason)).toContain("recovery");
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  // Taken over at once, not after some long default.
  expect(tookOverMs).toBeLessThan(5000);
});
