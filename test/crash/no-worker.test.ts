/**
 * (d) Payloads sent while no worker runs are kept, and delivered in order, exactly once, to an
 * iterating hook (`for await (const p of hook)`) when a worker starts.
 */
import { expect, it } from "vitest";
import {
  executions,
  logText,
  ofType,
  pendingHook,
  runEnded,
  runInStatus,
  type Space,
  startWorker,
  useSpace,
} from "./harness.js";

const space = useSpace();

function expectCollectedOnce(
  runId: string,
  events: Awaited<ReturnType<Space["client"]["events"]>>,
  sent: number[],
) {
  const received = ofType(events, "hook.received");
  expect(received.map((e) => e.payload)).toEqual(sent);
  expect(new Set(received.map((e) => e.inboxId)).size).toBe(sent.length);
  const acks = ofType(events, "step.completed").map((e) => e.name);
  expect(acks).toEqual(sent.map((_, i) => `ack-${i + 1}`));
  for (let i = 1; i <= sent.length; i++) expect(executions(space, runId, `ack-${i}`)).toBe(1);
}

it("payloads sent after the worker crashed are delivered in order, once, by the next worker", async () => {
  const first = await startWorker(space);
  const run = await space.client.start("crash_collect", 6);
  const hook = await pendingHook(space, run.id);
  await runInStatus(space, run.id, "suspended");
  await first.kill();

  const sent = [3, 1, 4, 1, 5, 9];
  for (const p of sent) await space.client.resumeHook(hook.token, p);
  await new Promise((r) => setTimeout(r, 100));
  expect((await space.client.getRun(run.id))?.status).toBe("suspended");
  expect((await space.client.hooks.get(hook.token))?.status).toBe("pending");

  await startWorker(space);
  const done = await runEnded(space, run.id);
  const events = await space.client.events(run.id);
  expect(done.status, logText(events)).toBe("succeeded");
  expect(done.output).toEqual(sent);
  expectCollectedOnce(run.id, events, sent);
  expect((await space.client.hooks.get(hook.token))?.status).toBe("disposed");
});

it('payloads kept for a custom token before any worker ever ran (ifMissing: "keep") come first, in order, once', async () => {
  // No worker has opened this file yet: the run is only persisted, its hook does not exist.
  const run = await space.client.start("crash_collect", 6, "order-42");
  const early = [10, 20, 30, 40];
  for (const p of early) {
    expect(await space.client.resumeHook("order-42", p, { ifMissing: "keep" })).toMatchObject({ kept: true });
  }
  expect((await space.client.getRun(run.id))?.status).toBe("pending");

  await startWorker(space);
  await until4Acks(run.id);
  const late = [50, 60];
  for (const p of late) await space.client.resumeHook("order-42", p);

  const done = await runEnded(space, run.id);
  const events = await space.client.events(run.id);
  expect(done.status, logText(events)).toBe("succeeded");
  expect(done.output).toEqual([...early, ...late]);
  expectCollectedOnce(run.id, events, [...early, ...late]);
});

/** Waits until the run has taken the 4 kept payloads and suspended for more. */
async function until4Acks(runId: string) {
  await pendingHook(space, runId);
  for (;;) {
    const events = await space.client.events(runId);
    const run = await space.client.getRun(runId);
    if (run?.status === "suspended" && ofType(events, "step.completed").length >= 4) return;
    if (run && ["succeeded", "failed", "cancelled"].includes(run.status)) {
      throw new Error(`run ended early as ${run.status}\n${logText(events)}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}
