import { describe, expect, it, onTestFinished } from "vitest";
import { RELEASE_AFFINITY_MS } from "../../src/store/records.js";
import { helpers, LEASE, okSeq, type StoreHarness, T0, useStores } from "./harness.js";

/** claimRuns / leases / renewLeases / release with a timer / nextWakeAt. */
export function claimsAndTimers(h: StoreHarness): void {
  const { store } = useStores(h);
  const x = helpers(store);

  describe("claims", () => {
    it("leases due runs in batches, oldest first, only of the given workflows", async () => {
      for (let i = 0; i < 5; i++) await x.createRun(`run_${i}`, { now: T0 + 10 - i });
      await x.createRun("run_other", { workflow: "other" });
      await x.createRun("run_later", { now: T0 + 1000 });

      expect(await x.claim("w1", { workflows: [] })).toEqual([]);
      const first = await x.claim("w1", { now: T0 + 100, limit: 2 });
      // The two that woke first (the order of the returned array is not part of the contract).
      expect(first.map((c) => c.run.id).sort()).toEqual(["run_3", "run_4"]);
      expect(first[0]!.run).toMatchObject({ status: "running", updatedAt: T0 + 100, seq: 1 });
      expect(first[0]!.inbox).toEqual([]);
      const second = await x.claim("w2", { now: T0 + 100, limit: 10 });
      expect(second.map((c) => c.run.id).sort()).toEqual(["run_0", "run_1", "run_2"]);
      expect(await x.claim("w3", { now: T0 + 100 })).toEqual([]);
      expect(
        (await x.claim("w3", { now: T0 + 100, workflows: ["other", "nope"] })).map((c) => c.run.id),
      ).toEqual(["run_other"]);
      expect((await x.claim("w3", { now: T0 + 1000 })).map((c) => c.run.id)).toEqual(["run_later"]);
    });

    it("claims the runs named by id: only those, only when due and not held", async () => {
      await x.started("run_held", "w2", T0);
      await x.createRun("run_a");
      await x.createRun("run_b");
      await x.createRun("run_later", { now: T0 + 1000 });
      await x.createRun("run_other", { workflow: "other" });
      const claim = (ids: string[], now = T0) =>
        store().claimRuns({ owner: "w1", now, leaseMs: LEASE, limit: 10, workflows: ["wf"], ids });
      expect(await claim([])).toEqual([]);
      const got = await claim(["run_b", "run_later", "run_other", "run_held", "run_missing"]);
      expect(got.map((c) => [c.run.id, c.run.status, c.recovered])).toEqual([["run_b", "running", false]]);
      // Held now: a second claim of the same id gets nothing.
      expect(await claim(["run_b"])).toEqual([]);
      expect((await claim(["run_a", "run_later"], T0 + 1000)).map((c) => c.run.id).sort()).toEqual([
        "run_a",
        "run_later",
      ]);
    });

    it("says whether a claimed run was taken from a worker whose lease ended", async () => {
      await x.started("run_a", "w1", T0);
      await x.createRun("run_b", { now: T0 + LEASE });
      const taken = await x.claim("w2", { now: T0 + LEASE + 1 });
      expect(taken.map((c) => [c.run.id, c.recovered]).sort()).toEqual([
        ["run_a", true],
        ["run_b", false],
      ]);
    });

    it("leaves a run to the worker that released it for a moment; claims by id are not held back", async () => {
      // w1 is a live worker (a store that can tell hands a gone worker's runs on at once).
      const stop = store().watch(() => {}, { owner: "w1" });
      await (store() as { listening?(): Promise<void> }).listening?.();
      onTestFinished(stop);
      for (const id of ["run_a", "run_b"]) {
        const seq = await x.started(id, "w1", T0);
        okSeq(
          await x.commit({ runId: id, expectedSeq: seq, status: "suspended", release: { wakeAt: T0 + 10 } }),
        );
      }
      // Due at T0 + 10: other workers' scans leave both to w1 until T0 + 10 + RELEASE_AFFINITY_MS.
      expect(await x.claim("w2", { now: T0 + 10 + RELEASE_AFFINITY_MS - 1 })).toEqual([]);
      const byId = await store().claimRuns({
        owner: "w2",
        now: T0 + 10,
        leaseMs: LEASE,
        limit: 10,
        workflows: ["wf"],
        ids: ["run_a"],
      });
      expect(byId.map((c) => c.run.id)).toEqual(["run_a"]);
      expect((await x.claim("w1", { now: T0 + 10 })).map((c) => c.run.id)).toEqual(["run_b"]);
    });

    it("lets any worker scan a run its last worker left waiting past the affinity time", async () => {
      const seq = await x.started("run_a", "w1", T0);
      okSeq(
        await x.commit({
          runId: "run_a",
          expectedSeq: seq,
          status: "suspended",
          release: { wakeAt: T0 + 10 },
        }),
      );
      const taken = await x.claim("w2", { now: T0 + 10 + RELEASE_AFFINITY_MS });
      expect(taken.map((c) => [c.run.id, c.recovered])).toEqual([["run_a", false]]);
    });

    it("hands a run whose lease ended to another worker; the first one's commits are then refused", async () => {
      const seq = await x.started("run_a", "w1", T0);
      expect(await x.claim("w2", { now: T0 + LEASE })).toEqual([]);
      const taken = await x.claim("w2", { now: T0 + LEASE + 1 });
      expect(taken.map((c) => c.run.id)).toEqual(["run_a"]);
      const late = await x.commit({ runId: "run_a", owner: "w1", expectedSeq: seq, now: T0 + LEASE + 2 });
      expect(late).toEqual({ ok: false, reason: "lease_lost" });
      expect(await store().readEvents("run_a")).toHaveLength(1);
      okSeq(
        await x.commit({
          runId: "run_a",
          owner: "w2",
          expectedSeq: seq,
          now: T0 + LEASE + 2,
          events: [{ type: "run.started" }],
        }),
      );
    });

    it("refuses a commit from the owner itself once its lease has run out", async () => {
      const seq = await x.started("run_a", "w1", T0);
      expect(await x.commit({ runId: "run_a", expectedSeq: seq, now: T0 + LEASE + 1 })).toEqual({
        ok: false,
        reason: "lease_lost",
      });
      okSeq(
        await x.commit({
          runId: "run_a",
          expectedSeq: seq,
          now: T0 + LEASE,
          events: [{ type: "run.started" }],
        }),
      );
    });

    it("renews the leases it still holds and names the ones it lost", async () => {
      await x.started("run_a", "w1", T0);
      await x.createRun("run_b");
      await x.claim("w1");
      expect(await store().renewLeases("w1", [], T0, LEASE)).toEqual([]);
      expect(await store().renewLeases("w1", ["run_a", "run_b"], T0 + 20_000, LEASE)).toEqual([]);
      // Renewed to T0 + 50s: not claimable at T0 + 40s.
      expect(await x.claim("w2", { now: T0 + 40_000 })).toEqual([]);
      expect((await x.claim("w2", { now: T0 + 50_001 })).map((c) => c.run.id).sort()).toEqual([
        "run_a",
        "run_b",
      ]);
      expect(await store().renewLeases("w1", ["run_a", "run_b", "run_missing"], T0 + 50_002, LEASE)).toEqual([
        "run_a",
        "run_b",
        "run_missing",
      ]);
    });
  });

  describe("timers", () => {
    it("a released run sleeps until its wakeAt, then is claimable again", async () => {
      const seq = await x.started("run_a");
      const res = await x.commit({
        runId: "run_a",
        expectedSeq: seq,
        now: T0 + 1,
        events: [
          { type: "sleep.started", callSeq: 1, until: T0 + 5000 },
          { type: "run.suspended", wakeAt: T0 + 5000 },
        ],
        status: "suspended",
        release: { wakeAt: T0 + 5000 },
      });
      expect(res).toEqual({ ok: true, seq: 3, pendingInbox: 0, cancelRequested: false });
      expect(await store().getRun("run_a")).toMatchObject({ status: "suspended", wakeAt: T0 + 5000 });
      expect(await store().nextWakeAt()).toBe(T0 + 5000);
      expect(await x.claim("w1", { now: T0 + 4999 })).toEqual([]);
      const [again] = await x.claim("w1", { now: T0 + 5000 });
      expect(again?.run).toMatchObject({ id: "run_a", status: "running", seq: 3 });
    });

    it("a run released with nothing to wait for sleeps until a payload or cancel", async () => {
      const seq = await x.started("run_a");
      okSeq(await x.commit({ runId: "run_a", expectedSeq: seq, status: "suspended", release: {} }));
      expect((await store().getRun("run_a"))?.wakeAt).toBeUndefined();
      expect(await store().nextWakeAt()).toBeUndefined();
      expect(await x.claim("w2", { now: T0 + 1e9 })).toEqual([]);
    });

    it("a commit without release keeps the lease (and wakeAt)", async () => {
      const seq = await x.started("run_a");
      okSeq(await x.commit({ runId: "run_a", expectedSeq: seq, events: [{ type: "run.started" }] }));
      expect(await x.claim("w2", { now: T0 + 1 })).toEqual([]);
      expect(await store().getRun("run_a")).toMatchObject({ status: "running", wakeAt: T0 });
    });

    it("nextWakeAt: the earliest timer of runs nobody holds, or the lease end of a held run", async () => {
      expect(await store().nextWakeAt()).toBeUndefined();
      await x.createRun("run_a", { now: T0 + 300 });
      await x.createRun("run_b", { now: T0 + 200 });
      expect(await store().nextWakeAt()).toBe(T0 + 200);
      // A held run's lease end counts (a crashed owner's run is retried then), not its wakeAt.
      await x.claim("w1", { now: T0 + 250 });
      expect(await store().nextWakeAt()).toBe(T0 + 300);
      const [a] = await x.claim("w2", { now: T0 + 300 });
      expect(a?.run.id).toBe("run_a");
      expect(await store().nextWakeAt()).toBe(T0 + 250 + LEASE);
      okSeq(
        await x.commit({
          runId: "run_b",
          expectedSeq: 1,
          now: T0 + 260,
          status: "suspended",
          release: { wakeAt: T0 + 90_000 },
        }),
      );
      expect(await store().nextWakeAt()).toBe(T0 + 300 + LEASE);
      okSeq(
        await x.commit({
          runId: "run_a",
          owner: "w2",
          expectedSeq: 1,
          now: T0 + 301,
          status: "suspended",
          release: {},
        }),
      );
      expect(await store().nextWakeAt()).toBe(T0 + 90_000);
    });

    it("ownedRunsWithWork lists only the owner's runs with payloads or a cancel request", async () => {
      await x.started("run_a", "w1");
      await x.createRun("run_b");
      await x.createRun("run_c");
      await x.claim("w2");
      expect(await store().ownedRunsWithWork("w1")).toEqual([]);
      okSeq(
        await x.commit({
          runId: "run_a",
          expectedSeq: 1,
          registerHooks: [{ hookId: "hook_a", token: "ta", kind: "hook", adoptEarly: false }],
        }),
      );
      await store().resumeHook({ token: "ta", payload: "1", ifMissing: "error", now: T0 + 1 });
      await store().cancelRun("run_b", T0 + 1);
      expect(await store().ownedRunsWithWork("w1")).toEqual(["run_a"]);
      expect(await store().ownedRunsWithWork("w2")).toEqual(["run_b"]);
      expect(await store().ownedRunsWithWork("w3")).toEqual([]);
    });
  });
}
