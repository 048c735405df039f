import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Signals } from "../client/signals.js";
import { HookConflictError } from "../errors.js";
import type { PreparedDelivery } from "../lifecycle/deliveries.js";
import type { EventRecord } from "../replay/events.js";
import type { StandardSchemaV1 } from "../schema/standard.js";
import type { Store } from "../store/store.js";
import { openStore } from "../stores/open.js";
import { VirtualClock } from "../testing/virtual-clock.js";
import { defineWorkflow, type Workflow } from "../workflow/define-workflow.js";
import { createHook } from "../workflow/hook.js";
import { step } from "../workflow/step.js";
import { CommitQueue } from "./commit-queue.js";
import { silentLogger } from "./logger.js";
import { type DriverEnd, RunDriver } from "./run-driver.js";
import { RunLoader } from "./run-loader.js";

const T0 = Date.UTC(2030, 0, 1);

/** A Standard Schema for positive numbers, written out (no schema library). */
const positive: StandardSchemaV1<unknown, number> = {
  "~standard": {
    version: 1,
    vendor: "test",
    validate: (v) =>
      typeof v === "number" && v > 0 ? { value: v } : { issues: [{ message: "not a positive number" }] },
  },
};

const approval = defineWorkflow("approval", async () => {
  const a = await step("a", () => 1);
  const got = await createHook<number>({ token: "approve", schema: positive });
  return a + got;
});
const clash = defineWorkflow("clash", async () => {
  try {
    await createHook({ token: "approve" });
    return "got a payload";
  } catch (err) {
    return HookConflictError.is(err) ? "conflict" : "other";
  }
});
const observed = defineWorkflow({ name: "observed", hooks: { onStart: () => {} } }, async () => "done");
let releaseStep: () => void = () => {};
let stepSignal: AbortSignal | undefined;
const slow = defineWorkflow("slow", async () => {
  createHook({ token: "held" });
  await step("slow", ({ signal }) => {
    stepSignal = signal;
    return new Promise<void>((r) => {
      releaseStep = r;
    });
  });
});

let store: Store;
let clock: VirtualClock;
let loader: RunLoader;
let dispatched: PreparedDelivery[][];
beforeEach(async () => {
  store = await openStore("sqlite::memory:");
  clock = new VirtualClock(T0);
  const workflows = new Map<string, Workflow>([approval, clash, observed, slow].map((w) => [w.name, w]));
  loader = new RunLoader({ store, clock, workflows }, 10);
  dispatched = [];
});
afterEach(() => store.close());

/** Claims the run and drives it to its next stop, as the worker does. */
async function drive(runId: string): Promise<{ end: DriverEnd; driver: RunDriver }> {
  const { driver, ending } = await driving(runId);
  return { end: await ending, driver };
}

/** Claims the run and starts driving it. */
async function driving(runId: string): Promise<{ driver: RunDriver; ending: Promise<DriverEnd> }> {
  const [claim] = await store.claimRuns({
    owner: "w1",
    now: clock.now(),
    leaseMs: 60_000,
    limit: 1,
    workflows: [approval.name, clash.name, observed.name, slow.name],
    ids: [runId],
  });
  if (!claim) throw new Error(`run ${runId} was not claimed`);
  const loaded = await loader.load(claim);
  const driver = new RunDriver(
    {
      store,
      commits: new CommitQueue(store),
      clock,
      owner: "w1",
      logger: silentLogger,
      signals: new Signals(),
      workflow: loaded.workflow,
      leaseMs: 60_000,
      intercept: async (_ctx, _input, run) => ({ result: await run(), ran: true }),
      dispatch: (d) => dispatched.push(d),
      recordDelayMs: 0,
    },
    loaded.exec,
    { ...loaded, inbox: claim.inbox, cancelRequested: claim.run.cancelRequested },
  );
  const ending = driver.drive().then((end) => {
    if (end.kind === "suspended") loader.keepWarm(runId, loaded.exec);
    return end;
  });
  return { driver, ending };
}

const types = (events: EventRecord[]) => events.map((e) => e.type);
const start = (id: string, workflow: Workflow) =>
  store.createRun({ id, workflow: workflow.name, now: clock.now() });
const send = (token: string, payload: unknown) =>
  store.resumeHook({ token, payload: JSON.stringify(payload), ifMissing: "error", now: clock.now() });

describe("the run driver", () => {
  it("drives a run to its hook, suspends it, and finishes it when the payload comes", async () => {
    await start("run_a", approval);
    expect((await drive("run_a")).end).toEqual({ kind: "suspended", wakeAt: undefined, ready: false });
    expect(types(await store.readEvents("run_a"))).toEqual([
      "run.created",
      "run.started",
      "step.started",
      "step.completed",
      "hook.created",
      "run.suspended",
    ]);
    expect((await store.getHook("approve"))?.status).toBe("pending");

    await send("approve", 41);
    expect((await drive("run_a")).end).toEqual({ kind: "finished", status: "succeeded" });
    const run = await store.getRun("run_a");
    expect(run).toMatchObject({ status: "succeeded", output: "42" });
    expect(types(await store.readEvents("run_a")).slice(6)).toEqual([
      "run.resumed",
      "hook.received",
      "hook.disposed",
      "run.succeeded",
    ]);
  });

  it("records a payload that fails the hook's schema as hook.rejected; the hook goes on waiting", async () => {
    await start("run_a", approval);
    await drive("run_a");
    await send("approve", -1);
    expect((await drive("run_a")).end.kind).toBe("suspended");
    const events = await store.readEvents("run_a");
    expect(types(events).slice(6)).toEqual(["run.resumed", "hook.rejected", "run.suspended"]);
    expect(events.find((e) => e.type === "hook.rejected")).toMatchObject({
      issues: [{ path: "", message: "not a positive number" }],
    });
    expect((await store.getHook("approve"))?.status).toBe("pending");
  });

  it("records a token another live hook holds as a conflict; the code sees HookConflictError", async () => {
    await start("run_a", approval);
    await drive("run_a");
    await start("run_b", clash);
    expect((await drive("run_b")).end).toEqual({ kind: "finished", status: "succeeded" });
    expect((await store.getRun("run_b"))?.output).toBe('"conflict"');
    const created = (await store.readEvents("run_b")).find((e) => e.type === "hook.created");
    expect(created).toMatchObject({ token: "approve", conflict: true });
  });

  it("commits the lifecycle deliveries an event causes and dispatches them once durable", async () => {
    await start("run_o", observed);
    await drive("run_o");
    expect(dispatched).toHaveLength(1);
    expect(dispatched[0]).toMatchObject([
      { id: "dlv_o_2_0", handler: "onStart", event: { id: "dlv_o_2_0", hook: "onStart", runId: "run_o" } },
    ]);
  });

  it("ends a run cancelled while it runs at its next turn: steps aborted, hooks disposed", async () => {
    await start("run_s", slow);
    const { driver, ending } = await driving("run_s");
    for (let i = 0; i < 100 && !driver.blocked; i++) await new Promise((r) => setTimeout(r, 2));
    expect(driver.blocked).toBe(true); // waiting on its step
    expect((await store.cancelRun("run_s", clock.now())).status).toBe("requested");
    driver.kick({ cancel: true });
    expect(await ending).toEqual({ kind: "finished", status: "cancelled" });
    expect(stepSignal?.aborted).toBe(true);
    releaseStep();
    expect(types(await store.readEvents("run_s")).slice(-2)).toEqual(["hook.disposed", "run.cancelled"]);
    expect((await store.getHook("held"))?.status).toBe("disposed");
  });
});
