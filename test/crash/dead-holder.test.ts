/**
 * On one machine, a run held by a process that no longer exists is taken over at once, not after
 * its lease: the workers here keep the default lease (30 s), so anything that waits for it fails.
 * A held run whose process is alive — even frozen with SIGSTOP — keeps its lease.
 */
import { expect, it } from "vitest";
import { executions, logText, ofType, runEnded, startWorker, useSpace, WorkerProcess } from "./harness.js";

const space = useSpace();

it("a process started after a worker was killed mid-step recovers the run at once, not a lease later", async () => {
  const first = await startWorker(space, { leaseMs: "default" });
  const run = await space.client.start("crash_blocking_step");
  await first.waitFor(new RegExp(`^step-blocked ${run.id} slow$`));
  await first.kill();

  const spawnedAt = Date.now();
  const second = new WorkerProcess(space, { leaseMs: "default" });
  await second.waitFor(/^ready /, 20_000);
  const readyMs = Date.now() - spawnedAt;
  const done = await runEnded(space, run.id, 10_000);
  const finishedMs = Date.now() - spawnedAt;
  console.log(
    `restart after SIGKILL mid-step (lease 30 s): new process ready after ${readyMs} ms, run finished ${finishedMs} ms after it was spawned`,
  );

  const events = await space.client.events(run.id);
  expect(done.status, logText(events)).toBe("succeeded");
  expect(done.output).toEqual([1, 2, 3, 4]);
  expect(ofType(events, "run.resumed").map((e) => e.reason)).toContain("recovery");
  // The cut step ran again in the new process; the steps recorded before the kill did not.
  expect(executions(space, run.id, "slow-attempt")).toBe(2);
  expect(executions(space, run.id, "one")).toBe(1);
  expect(second.lines).toContain(`step-start ${run.id} four`);
  expect(finishedMs).toBeLessThan(5000);
});

it("a worker running beside a killed one takes its run over at once", async () => {
  const workers = await Promise.all([
    startWorker(space, { leaseMs: "default" }),
    startWorker(space, { leaseMs: "default" }),
  ]);
  const run = await space.client.start("crash_blocking_step");
  const blocked = new RegExp(`^step-blocked ${run.id} slow$`);
  const holder = await Promise.any(workers.map((w) => w.waitFor(blocked).then(() => w)));
  const survivor = workers.find((w) => w !== holder)!;
  await holder.kill();

  const killedAt = Date.now();
  const done = await runEnded(space, run.id, 10_000);
  const tookOverMs = Date.now() - killedAt;
  console.log(`survivor finished a killed neighbour's run ${tookOverMs} ms after the kill (lease 30 s)`);
  expect(done.status, logText(await space.client.events(run.id))).toBe("succeeded");
  expect(survivor.lines).toContain(`step-start ${run.id} four`);
  // Found by the survivor's periodic look for due runs (pollMs, 1 s), not by a lease running out.
  expect(tookOverMs).toBeLessThan(3000);
});

it("a frozen holder is alive: its run is not taken from it while its lease lasts", async () => {
  const frozen = await startWorker(space, { leaseMs: "default" });
  const run = await space.client.start("crash_slow_steps", 1000);
  await frozen.waitFor(new RegExp(`^step-start ${run.id} a$`));
  frozen.child.kill("SIGSTOP");

  const other = await startWorker(space, { leaseMs: "default" });
  // Its claim at start and two periodic looks for due runs (pollMs, 1 s) find the run held.
  await new Promise((r) => setTimeout(r, 2500));
  expect(other.lines.filter((l) => l.includes(run.id))).toEqual([]);
  expect((await space.client.getRun(run.id))?.status).toBe("running");

  frozen.child.kill("SIGCONT");
  const done = await runEnded(space, run.id);
  expect(done.status, logText(await space.client.events(run.id))).toBe("succeeded");
  expect(done.output).toEqual({ a: frozen.pid, b: frozen.pid });
  expect(executions(space, run.id, "a")).toBe(1);
});
