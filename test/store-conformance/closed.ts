import { expect, it } from "vitest";
import { ClosedError, LatchError } from "../../src/errors.js";
import type { Store } from "../../src/store/store.js";
import { type StoreHarness, T0, useStores, WF } from "./harness.js";

/** Every call a surface makes on a closed store, each answered with ClosedError. */
const CALLS: [string, (s: Store) => Promise<unknown>][] = [
  ["createRun", (s) => s.createRun({ id: "run_closed", workflow: WF, now: T0 })],
  ["getRun", (s) => s.getRun("run_x")],
  ["listRuns", (s) => s.listRuns({ limit: 1 })],
  ["readEvents", (s) => s.readEvents("run_x")],
  ["claimRuns", (s) => s.claimRuns({ owner: "w1", now: T0, leaseMs: 1000, limit: 1, workflows: [WF] })],
  ["renewLeases", (s) => s.renewLeases("w1", ["run_x"], T0, 1000)],
  ["ownedRunsWithWork", (s) => s.ownedRunsWithWork("w1")],
  ["commit", (s) => s.commit([{ runId: "run_x", expectedSeq: 1, owner: "w1", events: [], now: T0 }])],
  ["readInbox", (s) => s.readInbox("run_x")],
  ["registerWorkflows", (s) => s.registerWorkflows([WF], T0)],
  ["listWorkflows", (s) => s.listWorkflows()],
  ["nextWakeAt", (s) => s.nextWakeAt()],
  ["claimOutbox", (s) => s.claimOutbox({ owner: "w1", now: T0, leaseMs: 1000, limit: 1, workflows: [WF] })],
  ["ackOutbox", (s) => s.ackOutbox(["1"])],
  ["getHook", (s) => s.getHook("tok")],
  ["listHooks", (s) => s.listHooks({ limit: 1 })],
  ["resumeHook", (s) => s.resumeHook({ token: "tok", payload: "1", ifMissing: "error", now: T0 })],
  ["cancelRun", (s) => s.cancelRun("run_x", T0)],
];

/**
 * A closed store answers every call with ClosedError (code CLOSED): the HTTP API turns it into a
 * 503 problem and the CLI into exit 7, instead of a driver error reported as a crash.
 */
export function closed(h: StoreHarness): void {
  const { store } = useStores(h);

  it.each(CALLS)("%s after close() rejects with ClosedError", async (_name, call) => {
    const s = store();
    await s.close();
    const err = await call(s).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(ClosedError.is(err)).toBe(true);
    expect(LatchError.is(err)).toBe(true);
    expect((err as ClosedError).code).toBe("CLOSED");
    await s.close(); // closing twice is harmless
  });
}
