import { describe, expect, it } from "vitest";
import type { LatchEvent } from "../../src/replay/events.js";
import type { ResumeRequest } from "../../src/store/records.js";
import { helpers, okSeq, type StoreHarness, T0, useStores } from "./harness.js";

/** Hook registration, token rules, listing, and every resumeHook outcome. */
export function hooks(h: StoreHarness): void {
  const { store } = useStores(h);
  const x = helpers(store);
  const resume = (token: string, more: Partial<ResumeRequest> = {}) =>
    store().resumeHook({ token, payload: '{"ok":true}', ifMissing: "error", now: T0 + 10, ...more });

  describe("hook registration", () => {
    it("registers a hook with its schema and metadata, found by token, listed by status, run and name", async () => {
      const seq = await x.started("run_a");
      const schema = { type: "object", properties: { ok: { type: "boolean" } } };
      okSeq(
        await x.suspendOnHook(
          "run_a",
          seq,
          {
            hookId: "hook_1",
            token: "tok-1",
            name: "approval",
            schema,
            metadata: { order: 7 },
            expiresAt: T0 + 500,
          },
          { now: T0 + 1 },
        ),
      );
      const hook = await store().getHook("tok-1");
      expect(hook).toEqual({
        hookId: "hook_1",
        runId: "run_a",
        token: "tok-1",
        name: "approval",
        kind: "hook",
        status: "pending",
        schema,
        metadata: { order: 7 },
        createdAt: T0 + 1,
        expiresAt: T0 + 500,
        closedAt: undefined,
        payloads: 0,
      });
      expect(await store().getRun("run_a")).toMatchObject({ status: "suspended", wakeAt: T0 + 500 });
      expect(await store().getHook("tok-missing")).toBeUndefined();
      expect((await store().listHooks({ status: "pending" })).items.map((h) => h.hookId)).toEqual(["hook_1"]);
      expect((await store().listHooks({ runId: "run_a", name: "approval" })).items).toHaveLength(1);
      expect((await store().listHooks({ name: "other" })).items).toEqual([]);
      expect((await store().listHooks({ status: "disposed" })).items).toEqual([]);
    });

    it("lists hooks newest first in complete pages", async () => {
      const seq = await x.started("run_a");
      const regs = [0, 1, 2, 3, 4].map((i) => ({
        hookId: `hook_${i}`,
        token: `t${i}`,
        kind: "hook" as const,
        adoptEarly: false,
      }));
      okSeq(
        await x.commit({ runId: "run_a", expectedSeq: seq, registerHooks: regs.slice(0, 3), now: T0 + 1 }),
      );
      okSeq(await x.commit({ runId: "run_a", expectedSeq: seq, registerHooks: regs.slice(3), now: T0 + 2 }));
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store().listHooks({ runId: "run_a", limit: 2, cursor });
        seen.push(...page.items.map((h) => h.hookId));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toEqual(["hook_4", "hook_3", "hook_2", "hook_1", "hook_0"]);
    });

    it("counts hooks by status in one call, filtered by status, run and name", async () => {
      expect(await store().countHooks()).toEqual({ pending: 0, expired: 0, disposed: 0 });
      const a = await x.started("run_a");
      okSeq(
        await x.commit({
          runId: "run_a",
          expectedSeq: a,
          registerHooks: ["t1", "t2", "t3"].map((token, i) => ({
            hookId: `hook_${i}`,
            token,
            name: i < 2 ? "approval" : "other",
            kind: "hook" as const,
            adoptEarly: false,
          })),
        }),
      );
      okSeq(
        await x.commit({
          runId: "run_a",
          expectedSeq: a,
          closeHooks: [{ hookId: "hook_0", status: "expired" }],
        }),
      );
      const b = await x.started("run_b");
      okSeq(await x.suspendOnHook("run_b", b, { hookId: "hook_b", token: "tb", name: "approval" }));
      expect(await store().countHooks()).toEqual({ pending: 3, expired: 1, disposed: 0 });
      expect(await store().countHooks({ status: "pending" })).toEqual({
        pending: 3,
        expired: 0,
        disposed: 0,
      });
      expect(await store().countHooks({ runId: "run_a" })).toEqual({ pending: 2, expired: 1, disposed: 0 });
      expect(await store().countHooks({ name: "approval" })).toEqual({ pending: 2, expired: 1, disposed: 0 });
      expect(await store().countHooks({ runId: "run_b", status: "expired" })).toEqual({
        pending: 0,
        expired: 0,
        disposed: 0,
      });
    });

    it("refuses a token held by a live hook, and writes nothing of that commit", async () => {
      const a = await x.started("run_a");
      okSeq(await x.suspendOnHook("run_a", a, { hookId: "hook_a", token: "shared" }));
      await x.createRun("run_b");
      const [b] = await x.claim("w1");
      const res = await x.commit({
        runId: b!.run.id,
        expectedSeq: 1,
        events: [
          { type: "run.started" },
          { type: "hook.created", callSeq: 1, hookId: "hook_b1", token: "free", kind: "hook" },
          { type: "hook.created", callSeq: 2, hookId: "hook_b2", token: "shared", kind: "hook" },
        ],
        registerHooks: [
          { hookId: "hook_b1", token: "free", kind: "hook", adoptEarly: false },
          { hookId: "hook_b2", token: "shared", kind: "hook", adoptEarly: false },
        ],
        status: "suspended",
        release: {},
      });
      expect(res).toEqual({ ok: false, reason: "token_taken", hookIds: ["hook_b2"] });
      expect(await store().readEvents("run_b")).toHaveLength(1);
      expect(await store().getHook("free")).toBeUndefined();
      expect(await store().getRun("run_b")).toMatchObject({ seq: 1, status: "running" });
      expect((await store().getHook("shared"))?.hookId).toBe("hook_a");
    });

    it("frees a token when its hook is disposed, and reuses it", async () => {
      const a = await x.started("run_a");
      okSeq(
        await x.commit({
          runId: "run_a",
          expectedSeq: a,
          registerHooks: [{ hookId: "hook_1", token: "tok", kind: "hook", adoptEarly: false }],
        }),
      );
      okSeq(
        await x.commit({
          runId: "run_a",
          expectedSeq: a,
          now: T0 + 5,
          events: [{ type: "hook.disposed", hookId: "hook_1", token: "tok", reason: "disposed" }],
          closeHooks: [{ hookId: "hook_1", status: "disposed" }],
        }),
      );
      expect(await store().getHook("tok")).toMatchObject({
        hookId: "hook_1",
        status: "disposed",
        closedAt: T0 + 5,
      });
      expect(await resume("tok")).toEqual({ status: "disposed" });
      okSeq(
        await x.commit({
          runId: "run_a",
          expectedSeq: a + 1,
          now: T0 + 6,
          registerHooks: [{ hookId: "hook_2", token: "tok", kind: "hook", adoptEarly: false }],
        }),
      );
      // The live hook wins over the older one with the same token.
      expect(await store().getHook("tok")).toMatchObject({ hookId: "hook_2", status: "pending" });
    });

    describe("a token released and taken again in one commit (dispose, then create with the same token)", () => {
      const reg = (hookId: string, token = "loop-tok") => ({
        hookId,
        token,
        kind: "hook" as const,
        adoptEarly: true,
      });
      const created = (hookId: string, callSeq: number, token = "loop-tok"): LatchEvent => ({
        type: "hook.created",
        callSeq,
        hookId,
        token,
        kind: "hook",
      });
      const disposed = (hookId: string, token = "loop-tok"): LatchEvent => ({
        type: "hook.disposed",
        hookId,
        token,
        reason: "disposed",
      });

      it("frees the token for a registration that comes after the release, payload after payload", async () => {
        let seq = await x.started("run_a");
        okSeq(await x.suspendOnHook("run_a", seq, { ...reg("hook_0"), expiresAt: undefined }));
        for (let n = 0; n < 4; n++) {
          const sent = await resume("loop-tok", { payload: String(n), now: T0 + 10 + n });
          expect(sent).toMatchObject({ status: "accepted", hookId: `hook_${n}` });
          const [c] = await x.claim("w1", { now: T0 + 10 + n });
          expect(c?.inbox.map((i) => i.payload)).toEqual([String(n)]);
          seq = okSeq(
            await x.commit({
              runId: "run_a",
              expectedSeq: c!.run.seq,
              now: T0 + 10 + n,
              events: [
                {
                  type: "hook.received",
                  hookId: `hook_${n}`,
                  token: "loop-tok",
                  inboxId: c!.inbox[0]!.id,
                  payload: String(n),
                  receivedAt: T0 + 10 + n,
                },
                disposed(`hook_${n}`),
                created(`hook_${n + 1}`, n + 2),
                { type: "run.suspended" },
              ],
              consumeInbox: [c!.inbox[0]!.id],
              closeHooks: [{ hookId: `hook_${n}`, status: "disposed" }],
              registerHooks: [reg(`hook_${n + 1}`)],
              status: "suspended",
              release: {},
            }),
          );
          expect(await store().getHook("loop-tok")).toMatchObject({
            hookId: `hook_${n + 1}`,
            status: "pending",
            payloads: 0,
          });
        }
        const listed = (await store().listHooks({ runId: "run_a" })).items;
        expect(listed.filter((h) => h.status === "pending").map((h) => h.hookId)).toEqual(["hook_4"]);
        expect(listed.filter((h) => h.status === "disposed")).toHaveLength(4);
        expect((await store().getRun("run_a"))?.seq).toBe(seq);
      });

      it("frees it for a hook created, disposed and created again within the commit", async () => {
        const seq = await x.started("run_a");
        okSeq(
          await x.commit({
            runId: "run_a",
            expectedSeq: seq,
            events: [created("hook_1", 1), disposed("hook_1"), created("hook_2", 3)],
            registerHooks: [reg("hook_1"), reg("hook_2")],
            closeHooks: [{ hookId: "hook_1", status: "disposed" }],
          }),
        );
        expect(await store().getHook("loop-tok")).toMatchObject({ hookId: "hook_2", status: "pending" });
        expect(await resume("loop-tok")).toMatchObject({ status: "accepted", hookId: "hook_2" });
      });

      it("still refuses a registration that comes before the release, and writes nothing", async () => {
        const seq = await x.started("run_a");
        okSeq(
          await x.commit({
            runId: "run_a",
            expectedSeq: seq,
            events: [created("hook_1", 1)],
            registerHooks: [reg("hook_1")],
          }),
        );
        const res = await x.commit({
          runId: "run_a",
          expectedSeq: seq + 1,
          now: T0 + 5,
          events: [created("hook_2", 2), disposed("hook_1")],
          registerHooks: [reg("hook_2")],
          closeHooks: [{ hookId: "hook_1", status: "disposed" }],
        });
        expect(res).toEqual({ ok: false, reason: "token_taken", hookIds: ["hook_2"] });
        expect(await store().getHook("loop-tok")).toMatchObject({ hookId: "hook_1", status: "pending" });
        expect(await store().readEvents("run_a")).toHaveLength(2);
        // Twice in one commit with no release between: the second is refused.
        const twice = await x.commit({
          runId: "run_a",
          expectedSeq: seq + 1,
          events: [disposed("hook_1"), created("hook_2", 2, "other"), created("hook_3", 3, "other")],
          registerHooks: [reg("hook_2", "other"), reg("hook_3", "other")],
          closeHooks: [{ hookId: "hook_1", status: "disposed" }],
        });
        expect(twice).toEqual({ ok: false, reason: "token_taken", hookIds: ["hook_3"] });
      });

      it("does not free a token held by another run's hook", async () => {
        const a = await x.started("run_a");
        okSeq(await x.suspendOnHook("run_a", a, { hookId: "hook_a", token: "loop-tok" }));
        await x.createRun("run_b");
        const [b] = await x.claim("w1");
        okSeq(
          await x.commit({
            runId: "run_b",
            expectedSeq: b!.run.seq,
            events: [created("hook_b1", 1, "mine")],
            registerHooks: [reg("hook_b1", "mine")],
          }),
        );
        const res = await x.commit({
          runId: "run_b",
          expectedSeq: b!.run.seq + 1,
          events: [disposed("hook_b1", "mine"), created("hook_b2", 2)],
          registerHooks: [reg("hook_b2")],
          closeHooks: [{ hookId: "hook_b1", status: "disposed" }],
        });
        expect(res).toEqual({ ok: false, reason: "token_taken", hookIds: ["hook_b2"] });
      });
    });

    it("lets a new hook take the token of a live hook that is past its timeout; that one becomes expired", async () => {
      const a = await x.started("run_a");
      okSeq(await x.suspendOnHook("run_a", a, { hookId: "hook_a", token: "tok", expiresAt: T0 + 100 }));
      await x.createRun("run_b");
      const [b] = await x.claim("w1");
      expect(
        await x.commit({
          runId: b!.run.id,
          expectedSeq: 1,
          now: T0 + 99,
          registerHooks: [{ hookId: "hook_b", token: "tok", kind: "hook", adoptEarly: false }],
        }),
      ).toMatchObject({ ok: false, reason: "token_taken" });
      okSeq(
        await x.commit({
          runId: b!.run.id,
          expectedSeq: 1,
          now: T0 + 100,
          registerHooks: [{ hookId: "hook_b", token: "tok", kind: "hook", adoptEarly: false }],
        }),
      );
      expect((await store().listHooks({ runId: "run_a" })).items[0]).toMatchObject({
        status: "expired",
        closedAt: T0 + 100,
      });
      expect((await store().getHook("tok"))?.hookId).toBe("hook_b");
    });

    it("disposes every live hook of a run that ends", async () => {
      const a = await x.started("run_a");
      okSeq(
        await x.commit({
          runId: "run_a",
          expectedSeq: a,
          registerHooks: [
            { hookId: "hook_1", token: "t1", kind: "hook", adoptEarly: false },
            { hookId: "hook_2", token: "t2", kind: "webhook", adoptEarly: false },
          ],
        }),
      );
      okSeq(
        await x.commit({
          runId: "run_a",
          expectedSeq: a,
          now: T0 + 3,
          status: "failed",
          error: { name: "Error", message: "x" },
          closeAllHooks: true,
        }),
      );
      const listed = (await store().listHooks({ runId: "run_a" })).items;
      expect(listed.map((h) => [h.hookId, h.kind, h.status, h.closedAt])).toEqual([
        ["hook_2", "webhook", "disposed", T0 + 3],
        ["hook_1", "hook", "disposed", T0 + 3],
      ]);
      expect(await resume("t2")).toEqual({ status: "disposed" });
    });
  });

  describe("resumeHook", () => {
    it("accepts a payload: recorded in the inbox, counted, and the run is woken at once", async () => {
      const a = await x.started("run_a");
      const res = await x.suspendOnHook("run_a", a, { hookId: "hook_1", token: "tok", expiresAt: T0 + 9000 });
      const seq = okSeq(res);
      const out = await resume("tok");
      expect(out).toMatchObject({ status: "accepted", runId: "run_a", hookId: "hook_1", repeated: false });
      const inboxId = (out as { inboxId: number }).inboxId;
      expect(await store().readInbox("run_a")).toEqual([
        {
          id: inboxId,
          token: "tok",
          hookId: "hook_1",
          runId: "run_a",
          payload: '{"ok":true}',
          receivedAt: T0 + 10,
        },
      ]);
      expect((await store().getHook("tok"))?.payloads).toBe(1);
      expect((await store().getRun("run_a"))?.wakeAt).toBe(T0 + 10);
      const undef = await store().resumeHook({ token: "tok", ifMissing: "error", now: T0 + 11 });
      expect(undef.status).toBe("accepted");
      // A second payload does not push the wake-up later.
      expect((await store().getRun("run_a"))?.wakeAt).toBe(T0 + 10);

      const [claimed] = await x.claim("w1", { now: T0 + 12 });
      expect(claimed?.run).toMatchObject({ id: "run_a", seq });
      expect(claimed?.inbox.map((i) => [i.hookId, i.payload])).toEqual([
        ["hook_1", '{"ok":true}'],
        ["hook_1", undefined],
      ]);
    });

    it("says not_found, expired (with the time) or disposed when no live hook takes the payload", async () => {
      expect(await resume("nobody")).toEqual({ status: "not_found" });
      const a = await x.started("run_a");
      okSeq(await x.suspendOnHook("run_a", a, { hookId: "hook_1", token: "tok", expiresAt: T0 + 10 }));
      // Past its timeout but not yet recorded as expired by its run.
      expect(await resume("tok")).toEqual({ status: "expired", expiredAt: T0 + 10 });
      expect(await resume("tok", { now: T0 + 9 })).toMatchObject({ status: "accepted" });
      const [c] = await x.claim("w1", { now: T0 + 10 });
      okSeq(
        await x.commit({
          runId: "run_a",
          expectedSeq: c!.run.seq,
          now: T0 + 10,
          events: [{ type: "hook.expired", hookId: "hook_1", token: "tok" }],
          closeHooks: [{ hookId: "hook_1", status: "expired" }],
        }),
      );
      expect(await store().getHook("tok")).toMatchObject({ status: "expired", closedAt: T0 + 10 });
      expect(await resume("tok")).toEqual({ status: "expired", expiredAt: T0 + 10 });
      expect(await store().readInbox("run_a")).toHaveLength(1);
    });

    it("records payloads sent together each once, in the order sent, across hooks and runs", async () => {
      for (const run of ["run_a", "run_b", "run_c"]) {
        const seq = await x.started(run);
        const hooks = [1, 2].map((n) => ({
          hookId: `hook_${run}_${n}`,
          token: `tok_${run}_${n}`,
          kind: "hook" as const,
          adoptEarly: false,
        }));
        okSeq(
          await x.commit({
            runId: run,
            expectedSeq: seq,
            events: [{ type: "run.suspended" }],
            registerHooks: hooks,
            status: "suspended",
            release: {},
          }),
        );
      }
      const tokens = [
        "tok_run_b_2",
        "tok_run_a_1",
        "tok_run_c_1",
        "tok_run_a_2",
        "tok_run_b_1",
        "tok_run_c_2",
      ];
      const outs = await Promise.all(
        tokens.map((token, i) => resume(token, { payload: String(i), now: T0 + 20 + (i % 3) })),
      );
      for (const [i, out] of outs.entries()) {
        const run = tokens[i]!.slice(4, 9);
        expect(out).toMatchObject({
          status: "accepted",
          runId: run,
          hookId: `hook_${tokens[i]!.slice(4)}`,
          repeated: false,
        });
      }
      const ids = outs.map((o) => (o as { inboxId: number }).inboxId);
      expect([...ids].sort((a, b) => a - b)).toEqual(ids);
      expect((await store().readInbox("run_a")).map((m) => m.payload)).toEqual(["1", "3"]);
      expect((await store().readInbox("run_b")).map((m) => m.payload)).toEqual(["0", "4"]);
      for (const t of tokens) expect((await store().getHook(t))?.payloads).toBe(1);
      // Woken at the earliest payload's time.
      expect((await store().getRun("run_a"))?.wakeAt).toBe(T0 + 20);
      expect((await store().getRun("run_c"))?.wakeAt).toBe(T0 + 22);
      const claimed = await x.claim("w1", { now: T0 + 30 });
      expect(claimed.map((c) => [c.run.id, c.inbox.length]).sort()).toEqual([
        ["run_a", 2],
        ["run_b", 2],
        ["run_c", 2],
      ]);
    });

    it("answers each of payloads sent together on its own: accepted, not found, expired, kept, repeated", async () => {
      const a = await x.started("run_a");
      okSeq(await x.suspendOnHook("run_a", a, { hookId: "hook_1", token: "live" }));
      const b = await x.started("run_b");
      okSeq(await x.suspendOnHook("run_b", b, { hookId: "hook_2", token: "late", expiresAt: T0 + 5 }));
      const first = await resume("live", { idempotencyKey: "k1" });
      const outs = await Promise.all([
        resume("live", { payload: "2" }),
        resume("nobody"),
        resume("late"),
        resume("custom-early", { ifMissing: "keep" }),
        resume("live", { idempotencyKey: "k1" }),
        resume("live", { payload: "3" }),
      ]);
      expect(outs[0]).toMatchObject({ status: "accepted", runId: "run_a", repeated: false });
      expect(outs[1]).toEqual({ status: "not_found" });
      expect(outs[2]).toEqual({ status: "expired", expiredAt: T0 + 5 });
      expect(outs[3]).toMatchObject({ status: "kept", repeated: false });
      expect(outs[4]).toEqual({ ...first, repeated: true });
      expect(outs[5]).toMatchObject({ status: "accepted", runId: "run_a", repeated: false });
      expect((await store().readInbox("run_a")).map((m) => m.payload)).toEqual(['{"ok":true}', "2", "3"]);
      expect((await store().getHook("live"))?.payloads).toBe(3);
    });

    it("with a check, answers validate (recording nothing) for a hook whose schema the caller has not validated against", async () => {
      const schema = { type: "object" };
      const hooks = [
        { run: "run_s", hookId: "hook_s", token: "tok_s", schema },
        { run: "run_n", hookId: "hook_n", token: "tok_n", name: "typed" },
        { run: "run_p", hookId: "hook_p", token: "tok_p", name: "plain" },
      ];
      for (const { run, ...hook } of hooks) {
        okSeq(await x.suspendOnHook(run, await x.started(run), hook));
      }
      const check = { schemaNames: ["typed", "other"] };
      // Sent together, and one by one: the same answers.
      const together = await Promise.all(["tok_s", "tok_n", "tok_p"].map((t) => resume(t, { check })));
      expect(together[0]).toMatchObject({
        status: "validate",
        hook: { hookId: "hook_s", runId: "run_s", schema },
      });
      expect(together[1]).toMatchObject({ status: "validate", hook: { hookId: "hook_n", name: "typed" } });
      expect(together[2]).toMatchObject({ status: "accepted", hookId: "hook_p", repeated: false });
      expect(await store().readInbox("run_s")).toEqual([]);
      expect(await store().readInbox("run_n")).toEqual([]);
      expect((await store().getHook("tok_s"))?.payloads).toBe(0);
      expect(await resume("tok_s", { check: { ...check, validatedHookId: "hook_other" } })).toMatchObject({
        status: "validate",
      });
      expect(await resume("tok_s", { check: { ...check, validatedHookId: "hook_s" } })).toMatchObject({
        status: "accepted",
        hookId: "hook_s",
      });
      expect(await resume("tok_n", { check: { schemaNames: [] } })).toMatchObject({ status: "accepted" });
      // Without a check a payload is recorded as sent; not_found and kept are unaffected.
      expect(await resume("tok_s")).toMatchObject({ status: "accepted" });
      expect(await resume("nobody", { check })).toEqual({ status: "not_found" });
      expect((await store().readInbox("run_s")).length).toBe(2);
    });

    it("records a payload once per idempotency key and repeats the first answer", async () => {
      const a = await x.started("run_a");
      okSeq(await x.suspendOnHook("run_a", a, { hookId: "hook_1", token: "tok" }));
      const first = await resume("tok", { idempotencyKey: "k1" });
      const again = await resume("tok", { idempotencyKey: "k1" });
      expect(again).toEqual({ ...first, repeated: true });
      expect(await resume("tok", { idempotencyKey: "k2" })).toMatchObject({
        status: "accepted",
        repeated: false,
      });
      expect(await resume("tok")).toMatchObject({ repeated: false });
      expect((await store().readInbox("run_a")).map((i) => i.payload)).toEqual([
        '{"ok":true}',
        '{"ok":true}',
        '{"ok":true}',
      ]);
      expect((await store().getHook("tok"))?.payloads).toBe(3);
      // The key is per token: the same key on another token is another payload.
      expect(await resume("other", { idempotencyKey: "k1" })).toEqual({ status: "not_found" });
    });

    it("refuses an idempotency key used before with another payload (compared as stored), recording nothing", async () => {
      const a = await x.started("run_a");
      okSeq(await x.suspendOnHook("run_a", a, { hookId: "hook_1", token: "tok" }));
      const first = await resume("tok", { idempotencyKey: "k1", payload: '{"a":1,"b":2}' });
      expect(first).toMatchObject({ status: "accepted", repeated: false });
      for (const payload of ['"different"', '{"b":2,"a":1}', undefined]) {
        expect(await resume("tok", { idempotencyKey: "k1", payload })).toEqual({
          status: "idempotency_conflict",
        });
      }
      // Also when sent together with other payloads.
      const together = await Promise.all([
        resume("tok", { idempotencyKey: "k1", payload: '"other"' }),
        resume("tok", { idempotencyKey: "k1", payload: '{"a":1,"b":2}' }),
        resume("tok", { idempotencyKey: "k2", payload: '"new"' }),
      ]);
      expect(together[0]).toEqual({ status: "idempotency_conflict" });
      expect(together[1]).toEqual({ ...first, repeated: true });
      expect(together[2]).toMatchObject({ status: "accepted", repeated: false });
      expect((await store().readInbox("run_a")).map((i) => i.payload)).toEqual(['{"a":1,"b":2}', '"new"']);
      expect((await store().getHook("tok"))?.payloads).toBe(2);
      // An undefined payload (no JSON at all) is a payload like any other.
      await resume("tok", { idempotencyKey: "k3", payload: undefined });
      expect(await resume("tok", { idempotencyKey: "k3", payload: undefined })).toMatchObject({
        repeated: true,
      });
      expect(await resume("tok", { idempotencyKey: "k3", payload: "null" })).toEqual({
        status: "idempotency_conflict",
      });
      // A kept payload's key too.
      await resume("later", { ifMissing: "keep", idempotencyKey: "m1", payload: '"early"' });
      expect(
        await resume("later", { ifMissing: "keep", idempotencyKey: "m1", payload: '"changed"' }),
      ).toEqual({
        status: "idempotency_conflict",
      });
      // Once a hook is disposed, a repeat still gets the first answer, and a change is still refused.
      const [c] = await x.claim("w1", { now: T0 + 20 });
      okSeq(
        await x.commit({
          runId: "run_a",
          expectedSeq: c!.run.seq,
          now: T0 + 20,
          events: [{ type: "hook.disposed", hookId: "hook_1", token: "tok", reason: "disposed" }],
          closeHooks: [{ hookId: "hook_1", status: "disposed" }],
        }),
      );
      expect(await resume("tok", { idempotencyKey: "k1", payload: '{"a":1,"b":2}' })).toEqual({
        ...first,
        repeated: true,
      });
      expect(await resume("tok", { idempotencyKey: "k1", payload: "1" })).toEqual({
        status: "idempotency_conflict",
      });
    });

    it("records keyed payloads sent together for many hooks each once, and repeats each", async () => {
      const tokens = ["k_a", "k_b", "k_c", "k_d"];
      for (const [i, token] of tokens.entries()) {
        const run = `run_${i}`;
        okSeq(await x.suspendOnHook(run, await x.started(run), { hookId: `hook_${i}`, token }));
      }
      const send = () =>
        Promise.all(
          tokens.map((token, i) => resume(token, { idempotencyKey: "same-key", payload: String(i) })),
        );
      const first = await send();
      for (const [i, out] of first.entries()) {
        expect(out).toMatchObject({ status: "accepted", runId: `run_${i}`, repeated: false });
      }
      expect(await send()).toEqual(first.map((o) => ({ ...o, repeated: true })));
      for (const [i, token] of tokens.entries()) {
        expect((await store().readInbox(`run_${i}`)).map((m) => m.payload)).toEqual([String(i)]);
        expect((await store().getHook(token))?.payloads).toBe(1);
      }
      const changed = await Promise.all(
        tokens.map((token) => resume(token, { idempotencyKey: "same-key", payload: "9" })),
      );
      expect(changed).toEqual(tokens.map(() => ({ status: "idempotency_conflict" })));
    });

    it("keeps a payload sent before its hook exists and delivers it, first and once, to the next hook with that token", async () => {
      const kept = await resume("order-7", {
        ifMissing: "keep",
        payload: '"early"',
        idempotencyKey: "m1",
        now: T0 + 1,
      });
      expect(kept).toMatchObject({ status: "kept", repeated: false });
      expect(
        await resume("order-7", { ifMissing: "keep", idempotencyKey: "m1", payload: '"early"' }),
      ).toEqual({
        ...kept,
        repeated: true,
      });
      await resume("order-7", { ifMissing: "keep", payload: '"early2"', now: T0 + 2 });
      expect(await resume("order-7")).toEqual({ status: "not_found" });

      // A hook that does not adopt (a generated token) leaves them where they are.
      const a = await x.started("run_a");
      okSeq(await x.suspendOnHook("run_a", a, { hookId: "hook_x", token: "order-7", adoptEarly: false }));
      expect(await store().readInbox("run_a")).toEqual([]);
      const [c] = await x.claim("w1", { now: T0 + 3, workflows: ["wf"] });
      expect(c).toBeUndefined();

      await x.createRun("run_b", { now: T0 + 3 });
      const [b] = await x.claim("w1", { now: T0 + 3 });
      // The first hook holds the token; dispose it through a cancel of its run.
      await store().cancelRun("run_a", T0 + 4);
      const res = await x.suspendOnHook(
        b!.run.id,
        1,
        { hookId: "hook_b", token: "order-7", adoptEarly: true },
        { now: T0 + 5 },
      );
      expect(res).toMatchObject({ ok: true, pendingInbox: 2 });
      expect((await store().readInbox("run_b")).map((i) => [i.hookId, i.runId, i.payload])).toEqual([
        ["hook_b", "run_b", '"early"'],
        ["hook_b", "run_b", '"early2"'],
      ]);
      expect((await store().getHook("order-7"))?.payloads).toBe(2);
      // Woken at once: its payloads are waiting.
      expect((await store().getRun("run_b"))?.wakeAt).toBe(T0 + 5);
      // The repeat of the kept payload now names where it went.
      expect(
        await resume("order-7", { ifMissing: "keep", idempotencyKey: "m1", payload: '"early"' }),
      ).toEqual({
        status: "accepted",
        runId: "run_b",
        hookId: "hook_b",
        inboxId: (kept as { inboxId: number }).inboxId,
        repeated: true,
      });
      // Adopted once only: the next hook with the token gets none of them.
      await store().cancelRun("run_b", T0 + 6);
      await x.createRun("run_c", { now: T0 + 6 });
      const [cc] = await x.claim("w1", { now: T0 + 6 });
      expect(
        await x.suspendOnHook(
          cc!.run.id,
          1,
          { hookId: "hook_c", token: "order-7", adoptEarly: true },
          { now: T0 + 7 },
        ),
      ).toMatchObject({
        ok: true,
        pendingInbox: 0,
      });
    });
  });
}
