/**
 * A worker frozen (SIGSTOP) in the middle of a step for longer than its lease: another worker takes
 * the run over and completes it. When the frozen one wakes (SIGCONT) and its step finishes, its late
 * outcome is refused (the lease and the expected sequence moved on): the log is unchanged.
 */
import { expect, it } from "vitest";
import { executions, logText, ofType, runEnded, startWorker, useSpace } from "./harness.js";

const space = useSpace();

it("a worker frozen past its lease cannot record over the worker that took its run over", async () => {
  const frozen = await startWorker(space, { leaseMs: 500 });
  const run = await space.client.start("crash_slow_steps", 1500);
  await frozen.waitFor(new RegExp(`^step-start ${run.id} a$`));
  frozen.child.kill("SIGSTOP");

  const taker = await startWorker(space, { leaseMs: 500 });
  const done = await runEnded(space, run.id);
  const events = await space.client.events(run.id);
  expect(done.status, logText(events)).toBe("succeeded");
  expect(done.output).toEqual({ a: taker.pid, b: taker.pid });

  // Wake the frozen worker: its step finishes ~1.5 s after it began, then it would try to record.
  frozen.child.kill("SIGCONT");
  await frozen.waitFor(new RegExp(`^step-done ${run.id} a$`), 10_000);
  await new Promise((r) => setTimeout(r, 300));
  expect(await space.client.events(run.id)).toEqual(events);
  expect((await space.client.getRun(run.id))?.output).toEqual({ a: taker.pid, b: taker.pid });
  expect(frozen.lines).not.toContainEqual(expect.stringMatching(/^step-start .* b$/));

  expect(ofType(events, "step.completed").map((e) => e.name)).toEqual(["a", "b"]);
  expect(executions(space, run.id, "a")).toBe(2);
  expect(executions(space, run.id, "b")).toBe(1);
  expect(frozen.child.exitCode).toBeNull();
});
