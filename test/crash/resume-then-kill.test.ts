/**
 * A worker SIGKILLed just after a payload reached it (0–40 ms after resumeHook returned, while it
 * is applying the payload, committing, or running the step that follows): each payload is still
 * delivered once, in order, and no step recorded before a kill runs again.
 */
import { expect, it } from "vitest";
import type { RunEvent } from "../../src/index.js";
import {
  executions,
  killAll,
  logText,
  ofType,
  pendingHook,
  runEnded,
  runInStatus,
  startWorker,
  useSpace,
} from "./harness.js";

const space = useSpace();

it("payloads resumed moments before the worker is killed are each delivered once, in order", async () => {
  const payloads = [101, 102, 103, 104];
  const acks = payloads.map((_, i) => `ack-${i + 1}`);
  const run = await space.client.start("crash_collect", payloads.length);
  await startWorker(space, { leaseMs: 600 });
  const hook = await pendingHook(space, run.id);

  const snapshots: { events: RunEvent[]; runs: number[] }[] = [];
  for (const [i, p] of payloads.entries()) {
    if (i > 0) await startWorker(space, { leaseMs: 600 });
    // Wait until the run has taken the earlier payloads and waits for this one.
    await runInStatus(space, run.id, "suspended");
    await space.client.resumeHook(hook.token, p);
    await new Promise((r) => setTimeout(r, i * 13));
    await killAll();
    snapshots.push({
      events: await space.client.events(run.id),
      runs: acks.map((a) => executions(space, run.id, a)),
    });
  }

  await startWorker(space, { leaseMs: 600 });
  const done = await runEnded(space, run.id);
  const events = await space.client.events(run.id);
  expect(done.status, logText(events)).toBe("succeeded");
  expect(done.output, logText(events)).toEqual(payloads);

  const received = ofType(events, "hook.received");
  expect(
    received.map((e) => e.payload),
    logText(events),
  ).toEqual(payloads);
  expect(new Set(received.map((e) => e.inboxId)).size).toBe(payloads.length);
  expect(ofType(events, "step.completed").map((e) => e.name)).toEqual(acks);
  for (const snap of snapshots) {
    expect(events.slice(0, snap.events.length)).toEqual(snap.events);
    for (const e of ofType(snap.events, "step.completed")) {
      const n = acks.indexOf(e.name);
      expect(executions(space, run.id, e.name), `${e.name} re-ran after its outcome was recorded`).toBe(
        snap.runs[n],
      );
    }
  }
  for (const a of acks) expect(executions(space, run.id, a)).toBeGreaterThanOrEqual(1);
});
