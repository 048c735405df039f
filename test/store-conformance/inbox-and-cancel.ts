import { describe, expect, it } from "vitest";
import { helpers, okSeq, type StoreHarness, T0, useStores } from "./harness.js";

/** consumeInbox and the pendingInbox count; cancelRun for held and unheld runs. */
export function inboxAndCancel(h: StoreHarness): void {
  const { store } = useStores(h);
  const x = helpers(store);
  const resume = (token: string, now = T0 + 10) =>
    store().resumeHook({ token, payload: `"${now}"`, ifMissing: "error", now });

  describe("inbox", () => {
    it("counts payloads waiting while the run is held; consuming them lowers the count", async () => {
      const seq = await x.started("run_a");
      const reg = { hookId: "hook_1", token: "tok", kind: "hook" as const, adoptEarly: false };
      const s1 = okSeq(
        await x.commit({
          runId: "run_a",
          expectedSeq: seq,
          registerHooks: [reg],
          events: [{ type: "run.started" }],
        }),
      );
      const p1 = await resume("tok", T0 + 1);
      const p2 = await resume("tok", T0 + 2);
      const ids = [p1, p2].map((p) => (p as { inboxId: number }).inboxId);
      expect(ids[1]).toBeGreaterThan(ids[0]!);
      expect((await store().readInbox("run_a")).map((i) => i.id)).toEqual(ids);

      const r1 = await x.commit({
        runId: "run_a",
        expectedSeq: s1,
        now: T0 + 3,
        events: [
          { type: "hook.received", hookId: "hook_1", token: "tok", inboxId: ids[0]!, receivedAt: T0 + 1 },
        ],
        consumeInbox: [ids[0]!],
      });
      expect(r1).toEqual({ ok: true, seq: s1 + 1, pendingInbox: 1, cancelRequested: false });
      expect((await store().readInbox("run_a")).map((i) => i.id)).toEqual([ids[1]]);
      // Consuming a row twice does not count twice.
      const r2 = await x.commit({
        runId: "run_a",
        expectedSeq: s1 + 1,
        now: T0 + 4,
        consumeInbox: [ids[0]!, ids[1]!],
      });
      expect(r2).toMatchObject({ ok: true, pendingInbox: 0 });
      expect(await store().readInbox("run_a")).toEqual([]);
      expect(await store().ownedRunsWithWork("w1")).toEqual([]);
    });

    it("records who sent a payload, and what became of it: pending, delivered, rejected with its issues", async () => {
      const seq = await x.started("run_a");
      const reg = { hookId: "hook_1", token: "tok", kind: "hook" as const, adoptEarly: false };
      const s1 = okSeq(await x.commit({ runId: "run_a", expectedSeq: seq, registerHooks: [reg] }));
      const sent = (payload: string, now: number) =>
        store().resumeHook({
          token: "tok",
          payload,
          ifMissing: "error",
          now,
          by: { id: "ann", groups: ["sre"] },
          channel: "cli",
        });
      const good = (await sent('{"ok":true}', T0 + 1)) as { inboxId: number };
      const bad = (await sent('{"ok":"no"}', T0 + 2)) as { inboxId: number };
      const anon = (await resume("tok", T0 + 3)) as { inboxId: number };

      expect(await store().getInboxEntry(good.inboxId)).toEqual({
        id: good.inboxId,
        token: "tok",
        hookId: "hook_1",
        runId: "run_a",
        payload: '{"ok":true}',
        receivedAt: T0 + 1,
        by: { id: "ann", groups: ["sre"] },
        channel: "cli",
        status: "pending",
      });
      expect((await store().readInbox("run_a"))[0]).toMatchObject({ by: { id: "ann" }, channel: "cli" });
      expect((await store().getInboxEntry(anon.inboxId))?.by).toBeUndefined();
      expect(await store().getInboxEntry(999_999)).toBeUndefined();

      const issues = [{ path: "ok", message: "must be boolean" }];
      const r = await x.commit({
        runId: "run_a",
        expectedSeq: s1,
        now: T0 + 5,
        events: [
          {
            type: "hook.received",
            hookId: "hook_1",
            token: "tok",
            inboxId: good.inboxId,
            receivedAt: T0 + 1,
          },
          {
            type: "hook.rejected",
            hookId: "hook_1",
            token: "tok",
            inboxId: bad.inboxId,
            issues,
            receivedAt: T0 + 2,
          },
        ],
        consumeInbox: [good.inboxId],
        rejectInbox: [{ id: bad.inboxId, issues }],
      });
      // A rejected payload is consumed too: it no longer makes the run ready.
      expect(r).toMatchObject({ ok: true, pendingInbox: 1 });
      expect(await store().getInboxEntry(good.inboxId)).toMatchObject({
        status: "delivered",
        consumedAt: T0 + 5,
      });
      expect(await store().getInboxEntry(bad.inboxId)).toMatchObject({
        status: "rejected",
        issues,
        consumedAt: T0 + 5,
      });
      expect((await store().readInbox("run_a")).map((i) => i.id)).toEqual([anon.inboxId]);
    });

    it("a run that suspends with a payload waiting is ready at once (the payload is not lost)", async () => {
      const seq = await x.started("run_a");
      okSeq(
        await x.commit({
          runId: "run_a",
          expectedSeq: seq,
          registerHooks: [{ hookId: "hook_1", token: "tok", kind: "hook", adoptEarly: false }],
        }),
      );
      await resume("tok", T0 + 1);
      const res = await x.commit({
        runId: "run_a",
        expectedSeq: seq,
        now: T0 + 2,
        events: [{ type: "run.suspended", wakeAt: T0 + 60_000 }],
        status: "suspended",
        release: { wakeAt: T0 + 60_000 },
      });
      expect(res).toMatchObject({ ok: true, pendingInbox: 1 });
      expect(await store().getRun("run_a")).toMatchObject({ status: "suspended", wakeAt: T0 + 2 });
      const [again] = await x.claim("w1", { now: T0 + 2 });
      expect(again?.inbox).toHaveLength(1);
    });
  });

  describe("cancelRun", () => {
    it("cancels a run no worker holds at once: its hooks disposed, the events recorded", async () => {
      expect(await store().cancelRun("run_missing", T0)).toEqual({ status: "not_found" });
      const seq = await x.started("run_a");
      okSeq(
        await x.commit({
          runId: "run_a",
          expectedSeq: seq,
          registerHooks: [
            { hookId: "hook_1", token: "t1", kind: "hook", adoptEarly: false },
            { hookId: "hook_2", token: "t2", kind: "hook", adoptEarly: false },
          ],
          events: [{ type: "run.started" }, { type: "run.suspended" }],
          status: "suspended",
          release: {},
        }),
      );
      const out = await store().cancelRun("run_a", T0 + 5);
      expect(out.status).toBe("cancelled");
      expect((out as { run: unknown }).run).toMatchObject({
        id: "run_a",
        status: "cancelled",
        seq: 6,
        cancelRequested: true,
        finishedAt: T0 + 5,
        updatedAt: T0 + 5,
        wakeAt: undefined,
      });
      const events = await store().readEvents("run_a", { afterSeq: 3 });
      expect(events.map((e) => e.type)).toEqual(["hook.disposed", "hook.disposed", "run.cancelled"]);
      expect(
        events
          .slice(0, 2)
          .map((e) => (e as { hookId?: string }).hookId)
          .sort(),
      ).toEqual(["hook_1", "hook_2"]);
      expect(events[0]).toMatchObject({ reason: "run_ended", at: T0 + 5 });
      expect((await store().listHooks({ runId: "run_a" })).items.map((h) => h.status)).toEqual([
        "disposed",
        "disposed",
      ]);
      expect(await store().resumeHook({ token: "t1", ifMissing: "error", now: T0 + 6 })).toEqual({
        status: "disposed",
      });
      expect(await x.claim("w1", { now: T0 + 1e9 })).toEqual([]);

      const again = await store().cancelRun("run_a", T0 + 7);
      expect(again).toMatchObject({
        status: "already_finished",
        run: { status: "cancelled", finishedAt: T0 + 5 },
      });
    });

    it("cancels a pending run nobody claimed yet", async () => {
      await x.createRun("run_a");
      expect(await store().cancelRun("run_a", T0 + 1)).toMatchObject({
        status: "cancelled",
        run: { seq: 2 },
      });
      expect(await x.claim("w1", { now: T0 + 2 })).toEqual([]);
    });

    it("asks the worker holding a run to stop; the run stays its own until then", async () => {
      const seq = await x.started("run_a", "w1", T0);
      const out = await store().cancelRun("run_a", T0 + 5);
      expect(out).toMatchObject({
        status: "requested",
        run: { id: "run_a", status: "running", cancelRequested: true },
      });
      expect(await store().getRun("run_a")).toMatchObject({
        cancelRequested: true,
        wakeAt: T0 + 5,
        status: "running",
      });
      expect(await store().ownedRunsWithWork("w1")).toEqual(["run_a"]);
      expect(await x.claim("w2", { now: T0 + 6 })).toEqual([]);
      expect(await store().readEvents("run_a")).toHaveLength(1);

      const res = await x.commit({
        runId: "run_a",
        expectedSeq: seq,
        now: T0 + 7,
        events: [{ type: "run.started" }],
      });
      expect(res).toEqual({ ok: true, seq: seq + 1, pendingInbox: 0, cancelRequested: true });
      okSeq(
        await x.commit({
          runId: "run_a",
          expectedSeq: seq + 1,
          now: T0 + 8,
          events: [{ type: "run.cancelled" }],
          status: "cancelled",
          closeAllHooks: true,
        }),
      );
      expect(await store().getRun("run_a")).toMatchObject({ status: "cancelled", finishedAt: T0 + 8 });
    });

    it("a held run that suspends after a cancel request is ready again at once", async () => {
      const seq = await x.started("run_a", "w1", T0);
      await store().cancelRun("run_a", T0 + 1);
      const res = await x.commit({
        runId: "run_a",
        expectedSeq: seq,
        now: T0 + 2,
        status: "suspended",
        release: { wakeAt: T0 + 99_999 },
      });
      expect(res).toMatchObject({ ok: true, cancelRequested: true });
      expect((await store().getRun("run_a"))?.wakeAt).toBe(T0 + 2);
      const [again] = await x.claim("w1", { now: T0 + 2 });
      expect(again?.run.cancelRequested).toBe(true);
    });

    it("a crashed holder's run (lease ended) is cancelled at once", async () => {
      await x.started("run_a", "w1", T0);
      const out = await store().cancelRun("run_a", T0 + 60_000);
      expect(out).toMatchObject({ status: "cancelled" });
    });
  });
}
