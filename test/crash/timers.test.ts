/**
 * Durable timers across crashes: a payload accepted before a hook's timeout is delivered even when
 * the worker comes back after the timeout; a hook that times out while no worker runs refuses late
 * payloads and expires inside the workflow (HookExpiredError) once a worker starts; a sleep cut by
 * a kill ends at its recorded time under the next worker.
 */
import { expect, it } from "vitest";
import { logText, ofType, runEnded, runInStatus, startWorker, until, useSpace } from "./harness.js";

const space = useSpace();

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function pendingNamed(runId: string, name: string) {
  return until(
    async () => (await space.client.hooks.list({ status: "pending", runId, name })).items[0],
    `pending hook ${name}`,
  );
}

it("hook timeouts and sleeps keep their recorded times across worker crashes", async () => {
  const w1 = await startWorker(space);
  const run = await space.client.start("crash_timers", 600, 500);
  const t1 = await pendingNamed(run.id, "crash_t1");
  await runInStatus(space, run.id, "suspended");
  await w1.kill();

  // Accepted before the timeout, while no worker runs; the next worker only starts after it.
  await space.client.resumeHook(t1.token, 5);
  await pause(Math.max(0, t1.expiresAt! - Date.now()) + 100);

  const w2 = await startWorker(space);
  const t2 = await pendingNamed(run.id, "crash_t2");
  await runInStatus(space, run.id, "suspended");
  await w2.kill();

  // t2 times out while no worker runs: a late payload is refused and nothing is recorded.
  await pause(Math.max(0, t2.expiresAt! - Date.now()) + 50);
  const before = await space.client.events(run.id);
  await expect(space.client.resumeHook(t2.token, 9)).rejects.toMatchObject({ code: "HOOK_EXPIRED" });
  expect(await space.client.events(run.id)).toEqual(before);

  const w3 = await startWorker(space);
  await until(
    async () => (ofType(await space.client.events(run.id), "sleep.started").length ? true : undefined),
    "the sleep to start",
  );
  await w3.kill();

  await startWorker(space);
  const done = await runEnded(space, run.id);
  const events = await space.client.events(run.id);
  expect(done.status, logText(events)).toBe("succeeded");
  expect(done.output, logText(events)).toMatchObject({ got: 5, expired: true });
  expect((done.output as { slept: number }).slept).toBeGreaterThanOrEqual(500);
  expect(ofType(events, "hook.received").map((e) => [e.token, e.payload])).toEqual([[t1.token, 5]]);
  expect(ofType(events, "hook.expired").filter((e) => e.token === t2.token)).toHaveLength(1);
  expect(ofType(events, "sleep.started")).toHaveLength(1);
  expect(ofType(events, "sleep.completed")).toHaveLength(1);
  const sleptAt = ofType(events, "sleep.started")[0]!;
  const wokeAt = ofType(events, "sleep.completed")[0]!;
  expect(wokeAt.at - sleptAt.at).toBeGreaterThanOrEqual(500);
});
