import { describe, expect, it } from "vitest";
import { helpers, okSeq, type StoreHarness, T0, useStores, WF } from "./harness.js";

/** The lifecycle-hook outbox: written with the transition, leased, retried after the lease, acknowledged. */
export function outbox(h: StoreHarness): void {
  const { store } = useStores(h);
  const x = helpers(store);
  const claimOutbox = (owner: string, now: number, workflows = [WF], limit = 10) =>
    store().claimOutbox({ owner, now, leaseMs: 5_000, limit, workflows });

  describe("outbox", () => {
    it("writes deliveries with the commit, leased to the committing worker for 30s", async () => {
      const seq = await x.started("run_a");
      okSeq(
        await x.commit({
          runId: "run_a",
          expectedSeq: seq,
          now: T0 + 1,
          events: [{ type: "run.succeeded", output: "1" }],
          status: "succeeded",
          output: "1",
          outbox: [
            { id: "dlv_2", handler: "onSuccess", event: '{"type":"success"}' },
            { id: "dlv_1", handler: "onExit", event: '{"type":"exit"}' },
          ],
        }),
      );
      expect(await claimOutbox("w2", T0 + 1 + 30_000)).toEqual([]);
      const due = await claimOutbox("w2", T0 + 1 + 30_001);
      expect(due).toEqual([
        {
          id: "dlv_1",
          runId: "run_a",
          workflow: WF,
          handler: "onExit",
          event: '{"type":"exit"}',
          createdAt: T0 + 1,
          attempts: 2,
        },
        {
          id: "dlv_2",
          runId: "run_a",
          workflow: WF,
          handler: "onSuccess",
          event: '{"type":"success"}',
          createdAt: T0 + 1,
          attempts: 2,
        },
      ]);
      // Leased again by the claim: nobody else gets them until that lease ends.
      expect(await claimOutbox("w3", T0 + 30_002 + 4_999)).toEqual([]);
      expect((await claimOutbox("w3", T0 + 30_002 + 5_001)).map((e) => [e.id, e.attempts])).toEqual([
        ["dlv_1", 3],
        ["dlv_2", 3],
      ]);
      await store().ackOutbox(["dlv_1"]);
      await store().ackOutbox([]);
      expect((await claimOutbox("w4", T0 + 1e9)).map((e) => e.id)).toEqual(["dlv_2"]);
      await store().ackOutbox(["dlv_2", "dlv_missing"]);
      expect(await claimOutbox("w4", T0 + 2e9)).toEqual([]);
    });

    it("holds deliveries for the commit's outboxLeaseMs when it gives one", async () => {
      const seq = await x.started("run_a");
      okSeq(
        await x.commit({
          runId: "run_a",
          expectedSeq: seq,
          outbox: [{ id: "dlv_1", handler: "onStart", event: "{}" }],
          outboxLeaseMs: 1000,
        }),
      );
      expect(await claimOutbox("w2", T0 + 1000)).toEqual([]);
      expect((await claimOutbox("w2", T0 + 1001)).map((e) => e.id)).toEqual(["dlv_1"]);
    });

    it("claims in batches, oldest first, only of the given workflows", async () => {
      for (const [i, wf] of [WF, WF, "other", WF].entries()) {
        await x.createRun(`run_${i}`, { workflow: wf });
        const [c] = await x.claim("w1", { workflows: [wf] });
        okSeq(
          await x.commit({
            runId: c!.run.id,
            expectedSeq: 1,
            now: T0 + 10 - i,
            outbox: [{ id: `dlv_${i}`, handler: "onStart", event: "{}" }],
          }),
        );
      }
      const later = T0 + 60_000;
      expect(
        await store().claimOutbox({ owner: "w2", now: later, leaseMs: 1, limit: 5, workflows: [] }),
      ).toEqual([]);
      expect((await claimOutbox("w2", later, [WF], 2)).map((e) => e.id)).toEqual(["dlv_3", "dlv_1"]);
      expect((await claimOutbox("w2", later, [WF, "other"])).map((e) => e.id)).toEqual(["dlv_2", "dlv_0"]);
    });

    it("writes nothing for a refused commit", async () => {
      const seq = await x.started("run_a");
      const stale = await x.commit({
        runId: "run_a",
        expectedSeq: seq + 5,
        outbox: [{ id: "dlv_x", handler: "onStart", event: "{}" }],
      });
      expect(stale).toEqual({ ok: false, reason: "conflict" });
      expect(await claimOutbox("w2", T0 + 1e9)).toEqual([]);
    });

    it("a cancel made without the workflow's code leaves one delivery due at once, for a worker to expand", async () => {
      await x.createRun("run_abc");
      await store().cancelRun("run_abc", T0 + 7);
      const [entry] = await claimOutbox("w1", T0 + 8);
      expect(entry).toEqual({
        id: "dlv_abc_cancel",
        runId: "run_abc",
        workflow: WF,
        handler: "expand:cancelled",
        event: '{"at":1700000000007}',
        createdAt: T0 + 7,
        attempts: 1,
      });
      // A cancel request to a held run leaves it to the worker: no delivery.
      await x.started("run_held");
      await store().cancelRun("run_held", T0 + 9);
      expect(await claimOutbox("w1", T0 + 1e9)).toHaveLength(1);
    });
  });
}
