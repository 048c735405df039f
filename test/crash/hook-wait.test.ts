/**
 * (a) A worker SIGKILLed while its run waits on a hook: another process on the same file resumes
 * the run, it completes, and the payload is delivered exactly once.
 */
import { describe, expect, it } from "vitest";
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

/** Starts crash_hook_wait on a first worker, waits for its hook, and SIGKILLs the worker. */
async function suspendThenCrash(tag: string) {
  const first = await startWorker(space);
  const run = await space.client.start("crash_hook_wait", tag);
  const hook = await pendingHook(space, run.id);
  await runInStatus(space, run.id, "suspended");
  await first.kill();
  expect(await first.exited).toBe("SIGKILL");
  return { run, hook };
}

async function expectDeliveredOnce(runId: string, n: number) {
  const run = await runEnded(space, runId);
  const events = await space.client.events(runId);
  expect(run.status, logText(events)).toBe("succeeded");
  expect(run.output).toEqual({ before: `${run.input[0]}:before`, payload: { n }, after: n * 2 });
  expect(ofType(events, "hook.received").map((e) => e.payload)).toEqual([{ n }]);
  expect(ofType(events, "step.completed").map((e) => e.name)).toEqual(["before", "after"]);
  expect(executions(space, runId, "before")).toBe(1);
  expect(executions(space, runId, "after")).toBe(1);
  return events;
}

describe("a worker killed while its run waits on a hook", () => {
  it("is resumed from another process after a new worker starts, and completes once", async () => {
    const { run, hook } = await suspendThenCrash("after-restart");
    const second = await startWorker(space);

    const res = await space.client.resumeHook(hook.token, { n: 21 });
    expect(res).toMatchObject({ runId: run.id, hookId: hook.hookId, kept: false, repeated: false });

    const events = await expectDeliveredOnce(run.id, 21);
    expect((await space.client.hooks.get(hook.token))?.status).toBe("disposed");
    // The run is over: a late repeat of the payload is refused, not delivered a second time.
    await expect(space.client.resumeHook(hook.token, { n: 21 })).rejects.toMatchObject({
      code: "HOOK_DISPOSED",
    });
    expect(await space.client.events(run.id)).toEqual(events);
    await second.kill();
  });

  it("keeps a payload sent while no worker runs and delivers it once when one starts", async () => {
    const { run, hook } = await suspendThenCrash("while-down");
    const sent = await space.client.resumeHook(hook.token, { n: 5 }, { idempotencyKey: "mail-1" });
    expect(sent).toMatchObject({ runId: run.id, repeated: false });
    // A retry of the same request while still down records nothing new.
    const repeat = await space.client.resumeHook(hook.token, { n: 5 }, { idempotencyKey: "mail-1" });
    expect(repeat).toMatchObject({ runId: run.id, repeated: true });
    await new Promise((r) => setTimeout(r, 100));
    expect((await space.client.getRun(run.id))?.status).toBe("suspended");

    await startWorker(space);
    await expectDeliveredOnce(run.id, 5);
  });
});
