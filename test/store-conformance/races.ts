import { describe, expect, it } from "vitest";
import type { Store } from "../../src/store/store.js";
import { helpers, LEASE, okSeq, type StoreHarness, T0, useStores, WF } from "./harness.js";

/**
 * Calls racing each other, as they do when many workers and clients share a store. On a store
 * that serializes everything (SQLite) these pass trivially; on PostgreSQL the calls really
 * overlap, and each check is a READ COMMITTED race the store must close.
 */
export function races(h: StoreHarness): void {
  const stores = useStores(h);
  const { store } = stores;
  const x = helpers(store);
  const ROUNDS = 15;

  describe("races", () => {
    it("a payload arriving during a suspend commit always wakes the run", async () => {
      for (let i = 0; i < ROUNDS; i++) {
        const id = `run_${i}`;
        const seq = await x.started(id, "w1", T0);
        okSeq(
          await x.commit({
            runId: id,
            expectedSeq: seq,
            registerHooks: [{ hookId: `hook_${i}`, token: `tok_${i}`, kind: "hook", adoptEarly: false }],
          }),
        );
        const [suspend, resumed] = await Promise.all([
          x.commit({ runId: id, expectedSeq: seq, now: T0 + 1, status: "suspended", release: {} }),
          store().resumeHook({ token: `tok_${i}`, payload: "1", ifMissing: "error", now: T0 + 1 }),
        ]);
        expect(suspend.ok && resumed.status).toBe("accepted");
        expect(await store().getRun(id)).toMatchObject({ wakeAt: T0 + 1, status: "suspended" });
        const [claimed] = await x.claim("w1", { now: T0 + 1 });
        expect(claimed?.inbox.map((m) => m.token)).toEqual([`tok_${i}`]);
      }
    });

    it("a payload kept for a token while a hook registers with it is always delivered", async () => {
      for (let i = 0; i < ROUNDS; i++) {
        const id = `run_${i}`;
        const seq = await x.started(id, "w1", T0);
        const [reg, kept] = await Promise.all([
          x.suspendOnHook(
            id,
            seq,
            { hookId: `hook_${i}`, token: `early_${i}`, adoptEarly: true },
            { now: T0 + 1 },
          ),
          store().resumeHook({ token: `early_${i}`, payload: `${i}`, ifMissing: "keep", now: T0 + 1 }),
        ]);
        expect(reg.ok).toBe(true);
        expect(["accepted", "kept"]).toContain(kept.status);
        expect((await store().readInbox(id)).map((m) => m.payload)).toEqual([`${i}`]);
        expect((await store().getRun(id))?.wakeAt).toBe(T0 + 1);
      }
    });

    it("the same idempotency key sent twice at once records one payload", async () => {
      const seq = await x.started("run_a");
      okSeq(await x.suspendOnHook("run_a", seq, { hookId: "hook_a", token: "tok" }));
      for (let i = 0; i < ROUNDS; i++) {
        const outs = await Promise.all(
          [0, 1, 2].map(() =>
            store().resumeHook({
              token: "tok",
              payload: "1",
              idempotencyKey: `k${i}`,
              ifMissing: "error",
              now: T0 + 1,
            }),
          ),
        );
        expect(outs.filter((o) => o.status === "accepted" && !o.repeated)).toHaveLength(1);
        expect(new Set(outs.map((o) => (o as { inboxId: number }).inboxId)).size).toBe(1);
      }
      expect(await store().readInbox("run_a")).toHaveLength(ROUNDS);
    });

    it("two runs registering one custom token at once: exactly one gets it", async () => {
      for (let i = 0; i < ROUNDS; i++) {
        const a = `run_a${i}`;
        const b = `run_b${i}`;
        await x.createRun(a);
        await x.createRun(b);
        await x.claim("w1");
        const token = `shared_${i}`;
        const outs = await Promise.all(
          [a, b].map((runId) =>
            x.commit({
              runId,
              expectedSeq: 1,
              events: [{ type: "hook.created", callSeq: 1, hookId: `hook_${runId}`, token, kind: "hook" }],
              registerHooks: [{ hookId: `hook_${runId}`, token, kind: "hook", adoptEarly: true }],
            }),
          ),
        );
        expect(outs.map((o) => o.ok).sort()).toEqual([false, true]);
        expect(outs.find((o) => !o.ok)).toMatchObject({ reason: "token_taken" });
        expect(
          (await store().listHooks({ status: "pending" })).items.filter((h) => h.token === token),
        ).toHaveLength(1);
      }
    });

    it("a cancel racing a payload: the payload is accepted before, or refused after", async () => {
      for (let i = 0; i < ROUNDS; i++) {
        const id = `run_${i}`;
        const seq = await x.started(id, "w1", T0);
        okSeq(await x.suspendOnHook(id, seq, { hookId: `hook_${i}`, token: `tok_${i}` }));
        const [, resumed] = await Promise.all([
          store().cancelRun(id, T0 + 1),
          store().resumeHook({ token: `tok_${i}`, payload: "1", ifMissing: "error", now: T0 + 1 }),
        ]);
        const run = await store().getRun(id);
        expect(run).toMatchObject({ status: "cancelled", wakeAt: undefined });
        expect(["accepted", "disposed"]).toContain(resumed.status);
        expect(await x.claim("w2", { now: T0 + 2 })).toEqual([]);
      }
    });

    if (h.reopen) {
      // Needs a second handle on the same data; SQLite ":memory:" has none.
      it("two handles claiming at once never both get a run", async () => {
        const other = await stores.reopen();
        for (let i = 0; i < 40; i++) await x.createRun(`run_${i}`);
        const claim = (s: Store, owner: string) =>
          s.claimRuns({ owner, now: T0, leaseMs: LEASE, limit: 7, workflows: [WF] });
        const seen: string[] = [];
        for (;;) {
          const got = await Promise.all([claim(store(), "w1"), claim(other, "w2"), claim(store(), "w3")]);
          const ids = got.flat().map((c) => c.run.id);
          if (ids.length === 0) break;
          seen.push(...ids);
        }
        expect(seen.sort()).toEqual(Array.from({ length: 40 }, (_, i) => `run_${i}`).sort());
      });

      it("watch rings when another handle creates a run, accepts a payload or requests a cancel", async () => {
        const other = await stores.reopen();
        let rings = 0;
        const stop = store().watch(() => rings++);
        const rang = async (what: () => Promise<unknown>) => {
          const before = rings;
          await what();
          const until = Date.now() + 5000;
          while (rings === before && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
          return rings > before;
        };
        await h.watchReady?.(store());
        // A listener may ring once as it starts (it cannot know what it missed before): not counted.
        await new Promise((r) => setTimeout(r, 50));
        expect(await rang(() => other.createRun({ id: "run_a", workflow: WF, now: T0 }))).toBe(true);
        const [c] = await other.claimRuns({
          owner: "w9",
          now: T0,
          leaseMs: LEASE,
          limit: 1,
          workflows: [WF],
        });
        await other.commit([
          {
            runId: c!.run.id,
            owner: "w9",
            expectedSeq: 1,
            events: [],
            registerHooks: [{ hookId: "hook_a", token: "tok", kind: "hook", adoptEarly: false }],
            now: T0,
          },
        ]);
        expect(
          await rang(() => other.resumeHook({ token: "tok", payload: "1", ifMissing: "error", now: T0 + 1 })),
        ).toBe(true);
        expect(await rang(() => other.cancelRun("run_a", T0 + 2))).toBe(true);
        stop();
        const before = rings;
        await other.createRun({ id: "run_b", workflow: WF, now: T0 });
        await new Promise((r) => setTimeout(r, 300));
        expect(rings).toBe(before);
      });
    }
  });
}
