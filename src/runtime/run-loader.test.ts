import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { memoryStore, T0 } from "../../test/support/runtime-fixtures.js";
import type { LatchEvent } from "../replay/events.js";
import type { ClaimedRun } from "../store/records.js";
import type { Store } from "../store/store.js";
import type { VirtualClock } from "../testing/virtual-clock.js";
import { defineWorkflow } from "../workflow/define-workflow.js";
import { createHook } from "../workflow/hook.js";
import { step } from "../workflow/step.js";
import { RunLoader, replayFromStore } from "./run-loader.js";

const waiting = defineWorkflow({ name: "waiting", timeout: "1h" }, async () => {
  const a = await step("a", () => 1);
  const got = await createHook<number>({ token: "tok" });
  return a + got;
});
const workflows = new Map([[waiting.name, waiting]]);

let store: Store;
let clock: VirtualClock;
beforeEach(async () => {
  ({ store, clock } = await memoryStore());
});
afterEach(() => store.close());

async function claim(id: string, now = clock.now()): Promise<ClaimedRun> {
  const [c] = await store.claimRuns({
    owner: "w",
    now,
    leaseMs: 60_000,
    limit: 1,
    workflows: ["waiting"],
    ids: [id],
  });
  if (!c) throw new Error(`run ${id} was not claimed`);
  return c;
}

/** Appends events as the owner `w` does, from `seq`; suspends (due again at once) when `suspend` is set. */
async function append(id: string, seq: number, events: LatchEvent[], suspend = false) {
  const [res] = await store.commit([
    {
      runId: id,
      owner: "w",
      expectedSeq: seq,
      events: suspend ? [...events, { type: "run.suspended", wakeAt: clock.now() }] : events,
      now: clock.now(),
      ...(suspend ? { release: { wakeAt: clock.now() }, status: "suspended" as const } : {}),
    },
  ]);
  if (!res?.ok) throw new Error(`commit refused: ${JSON.stringify(res)}`);
  return res.seq;
}

const LOG: LatchEvent[] = [
  { type: "run.started", deadline: T0 + 3_600_000 },
  { type: "step.started", callSeq: 1, name: "a", attempt: 1 },
  { type: "step.completed", callSeq: 1, name: "a", attempt: 1, result: "1" },
  { type: "hook.created", callSeq: 2, hookId: "hook_X", token: "tok", kind: "hook" },
];

describe("loading a claimed run", () => {
  it("starts a fresh run without reading its log, with its workflow deadline", async () => {
    await store.createRun({ id: "run_fresh", workflow: "waiting", now: T0 });
    const loader = new RunLoader({ store, clock, workflows }, 10);
    const loaded = await loader.load(await claim("run_fresh"));
    expect(loaded).toMatchObject({
      cold: true,
      careful: false,
      intro: { type: "run.started", deadline: T0 + 3_600_000 },
    });
    expect(loaded.exec.seq).toBe(1);
    expect(loaded.exec.deadline).toBe(T0 + 3_600_000);
  });

  it("replays a suspended run cold, then finds it warm while its log has not moved", async () => {
    await store.createRun({ id: "run_s", workflow: "waiting", now: T0 });
    await claim("run_s");
    const seq = await append("run_s", 1, LOG, true);
    const loader = new RunLoader({ store, clock, workflows }, 10);

    const cold = await loader.load(await claim("run_s"));
    expect(cold).toMatchObject({
      cold: true,
      careful: false,
      intro: { type: "run.resumed", reason: "timer" },
    });
    expect(cold.exec.seq).toBe(seq);
    expect(cold.exec.deadline).toBe(T0 + 3_600_000);
    expect(cold.exec.takeCommands()).toEqual([]); // the log had every call

    await append("run_s", seq, [], true); // released again, as its driver would
    loader.keepWarm("run_s", cold.exec);
    cold.exec.committed(seq + 1);
    const warm = await loader.load(await claim("run_s"));
    expect(warm.cold).toBe(false);
    expect(warm.exec).toBe(cold.exec);
  });

  it("replays cold when the log moved elsewhere since the run was kept warm", async () => {
    await store.createRun({ id: "run_m", workflow: "waiting", now: T0 });
    await claim("run_m");
    const seq = await append("run_m", 1, LOG, true);
    const loader = new RunLoader({ store, clock, workflows }, 10);
    const first = await loader.load(await claim("run_m"));
    loader.keepWarm("run_m", first.exec); // but its suspend commit never happened here
    await append("run_m", seq, [{ type: "run.resumed", reason: "timer" }], true);
    const again = await loader.load(await claim("run_m"));
    expect(again.cold).toBe(true);
    expect(again.exec).not.toBe(first.exec);
  });

  it("opens a cut-off log as a careful recovery, and an overdue run as timed out", async () => {
    await store.createRun({ id: "run_c", workflow: "waiting", now: T0 });
    await claim("run_c");
    await append("run_c", 1, LOG.slice(0, 2)); // died mid-step: no run.suspended
    const loader = new RunLoader({ store, clock, workflows }, 10);
    const later = T0 + 120_000; // after the lease of the dead owner
    const crashed = await loader.load(await claim("run_c", later));
    expect(crashed).toMatchObject({ careful: true, intro: { type: "run.resumed", reason: "recovery" } });

    await store.createRun({ id: "run_t", workflow: "waiting", now: T0 });
    await claim("run_t");
    await append("run_t", 1, LOG, true);
    await clock.advance("2h");
    expect((await loader.load(await claim("run_t"))).intro).toBe("timed_out");
  });

  it("replays a run from the store for the dispatcher", async () => {
    await store.createRun({ id: "run_r", workflow: "waiting", now: T0 });
    await claim("run_r");
    await append("run_r", 1, LOG, true);
    const exec = await replayFromStore(store, () => clock.now())(waiting, "run_r");
    expect(exec.stepCall(1)).toMatchObject({ name: "a", state: "done" });
  });
});
