import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../src/errors.js";
import { helpers, okSeq, type StoreHarness, T0, useStores, WF } from "./harness.js";

const isInvalidArgument = (err: unknown) => InvalidArgumentError.is(err);

/** createRun / getRun / listRuns / readEvents / commit at an expected sequence / workflow names. */
export function runsAndEvents(h: StoreHarness): void {
  const stores = useStores(h);
  const { store } = stores;
  const x = helpers(store);

  describe("runs", () => {
    it("creates a run with its run.created event, ready at once", async () => {
      const run = await store().createRun({
        id: "run_a",
        workflow: WF,
        version: "v2",
        input: '["x"]',
        now: T0,
      });
      expect(run).toMatchObject({ id: "run_a", workflow: WF, version: "v2", status: "pending", seq: 1 });
      const stored = await store().getRun("run_a");
      expect(stored).toEqual({
        id: "run_a",
        workflow: WF,
        version: "v2",
        status: "pending",
        input: '["x"]',
        output: undefined,
        error: undefined,
        seq: 1,
        createdAt: T0,
        updatedAt: T0,
        finishedAt: undefined,
        wakeAt: T0,
        cancelRequested: false,
      });
      expect(await store().readEvents("run_a")).toEqual([
        { type: "run.created", workflow: WF, version: "v2", input: '["x"]', seq: 1, at: T0 },
      ]);
      expect(await store().getRun("run_missing")).toBeUndefined();
      expect(await store().readEvents("run_missing")).toEqual([]);
    });

    it("refuses a second run with the same id", async () => {
      await x.createRun("run_a");
      await expect(x.createRun("run_a")).rejects.toThrow();
      expect(await store().readEvents("run_a")).toHaveLength(1);
    });

    it("lists runs newest first, in complete pages, filtered by status and workflow", async () => {
      for (let i = 0; i < 7; i++)
        await x.createRun(`run_${i}`, { now: T0 + (i % 3), workflow: i < 5 ? WF : "other" });
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store().listRuns({ limit: 3, cursor });
        expect(page.items.length).toBeLessThanOrEqual(3);
        seen.push(...page.items.map((r) => r.id));
        cursor = page.nextCursor;
      } while (cursor);
      // created_at descending, then id descending among equal times
      expect(seen).toEqual(["run_5", "run_2", "run_4", "run_1", "run_6", "run_3", "run_0"]);

      expect((await store().listRuns({ workflow: "other" })).items.map((r) => r.id)).toEqual([
        "run_5",
        "run_6",
      ]);
      const seq = await x.started("run_7");
      okSeq(
        await x.commit({
          runId: "run_7",
          expectedSeq: seq,
          events: [{ type: "run.succeeded" }],
          status: "succeeded",
        }),
      );
      expect((await store().listRuns({ status: "succeeded" })).items.map((r) => r.id)).toEqual(["run_7"]);
      const pendingOrDone = await store().listRuns({ status: ["succeeded", "pending"], workflow: "other" });
      expect(pendingOrDone.items.map((r) => r.id)).toEqual(["run_5", "run_6"]);
      expect((await store().listRuns({ status: "failed" })).items).toEqual([]);
      expect((await store().listRuns({ limit: 100 })).nextCursor).toBeUndefined();
    });

    it("counts runs by status in one call, filtered by status and workflow", async () => {
      const zero = {
        pending: 0,
        running: 0,
        suspended: 0,
        succeeded: 0,
        failed: 0,
        cancelled: 0,
        timed_out: 0,
      };
      expect(await store().countRuns()).toEqual(zero);
      for (let i = 0; i < 5; i++) await x.createRun(`run_${i}`, { workflow: i < 3 ? WF : "other" });
      const [a, b] = await x.claim("w1", { workflows: [WF] });
      okSeq(
        await x.commit({
          runId: a!.run.id,
          expectedSeq: a!.run.seq,
          events: [{ type: "run.succeeded" }],
          status: "succeeded",
        }),
      );
      okSeq(
        await x.commit({
          runId: b!.run.id,
          expectedSeq: b!.run.seq,
          events: [{ type: "run.suspended" }],
          status: "suspended",
          release: {},
        }),
      );
      // The counts agree with the listing, status by status.
      const all = await store().countRuns();
      expect(all).toEqual({ ...zero, pending: 2, running: 1, suspended: 1, succeeded: 1 });
      for (const [status, n] of Object.entries(all)) {
        expect((await store().listRuns({ status: status as keyof typeof zero })).items).toHaveLength(n);
      }
      expect(await store().countRuns({ workflow: "other" })).toEqual({ ...zero, pending: 2 });
      expect(await store().countRuns({ workflow: WF })).toEqual({
        ...zero,
        running: 1,
        suspended: 1,
        succeeded: 1,
      });
      expect(await store().countRuns({ status: ["succeeded", "pending"] })).toEqual({
        ...zero,
        pending: 2,
        succeeded: 1,
      });
      expect(await store().countRuns({ status: "failed", workflow: WF })).toEqual(zero);
      expect(await store().countRuns({ workflow: "nobody" })).toEqual(zero);
    });

    it("answers a bad cursor or limit with InvalidArgumentError", async () => {
      await expect(store().listRuns({ cursor: "not-a-cursor" })).rejects.toSatisfy(isInvalidArgument);
      await expect(store().listRuns({ limit: 0 })).rejects.toSatisfy(isInvalidArgument);
      await expect(store().listHooks({ limit: 5000 })).rejects.toSatisfy(isInvalidArgument);
    });
  });

  describe("events", () => {
    it("appends at the expected sequence and reads back by position, type prefix and limit", async () => {
      const seq = await x.started("run_a");
      const res = await x.commit({
        runId: "run_a",
        expectedSeq: seq,
        now: T0 + 5,
        events: [
          { type: "run.started" },
          { type: "step.started", callSeq: 1, name: "a", attempt: 1 },
          { type: "step.completed", callSeq: 1, name: "a", attempt: 1, result: '{"n":1}' },
          { type: "hook.created", callSeq: 2, hookId: "hook_1", token: "t1", kind: "hook" },
        ],
        registerHooks: [{ hookId: "hook_1", token: "t1", kind: "hook", adoptEarly: false }],
      });
      expect(res).toEqual({ ok: true, seq: 5, pendingInbox: 0, cancelRequested: false });
      const all = await store().readEvents("run_a");
      expect(all.map((e) => [e.seq, e.type])).toEqual([
        [1, "run.created"],
        [2, "run.started"],
        [3, "step.started"],
        [4, "step.completed"],
        [5, "hook.created"],
      ]);
      expect(all[3]).toEqual({
        type: "step.completed",
        callSeq: 1,
        name: "a",
        attempt: 1,
        result: '{"n":1}',
        seq: 4,
        at: T0 + 5,
      });
      expect((await store().readEvents("run_a", { afterSeq: 3 })).map((e) => e.seq)).toEqual([4, 5]);
      expect((await store().readEvents("run_a", { typePrefix: "step" })).map((e) => e.seq)).toEqual([3, 4]);
      expect((await store().readEvents("run_a", { typePrefix: "step.completed" })).map((e) => e.seq)).toEqual(
        [4],
      );
      expect((await store().readEvents("run_a", { typePrefix: "hook" })).map((e) => e.seq)).toEqual([5]);
      expect((await store().readEvents("run_a", { limit: 2 })).map((e) => e.seq)).toEqual([1, 2]);
      expect(
        (await store().readEvents("run_a", { afterSeq: 1, typePrefix: "s", limit: 1 })).map((e) => e.seq),
      ).toEqual([3]);
      expect((await store().getRun("run_a"))?.seq).toBe(5);
    });

    it("refuses an append at a stale sequence and writes nothing", async () => {
      const seq = await x.started("run_a");
      okSeq(await x.commit({ runId: "run_a", expectedSeq: seq, events: [{ type: "run.started" }] }));
      const stale = await x.commit({
        runId: "run_a",
        expectedSeq: seq,
        events: [{ type: "run.started" }],
        registerHooks: [{ hookId: "hook_1", token: "t1", kind: "hook", adoptEarly: false }],
        status: "succeeded",
      });
      expect(stale).toEqual({ ok: false, reason: "conflict" });
      expect(await store().readEvents("run_a")).toHaveLength(2);
      expect(await store().getHook("t1")).toBeUndefined();
      expect((await store().getRun("run_a"))?.status).toBe("running");
      expect(await x.commit({ runId: "run_missing", expectedSeq: 1 })).toEqual({
        ok: false,
        reason: "conflict",
      });
    });

    it("applies each commit of a batch on its own, in order", async () => {
      const a = await x.started("run_a");
      await x.createRun("run_b");
      const [b] = await x.claim("w1");
      const results = await store().commit([
        { runId: "run_a", owner: "w1", expectedSeq: a, events: [{ type: "run.started" }], now: T0 },
        { runId: "run_a", owner: "w1", expectedSeq: a, events: [{ type: "run.started" }], now: T0 },
        { runId: b!.run.id, owner: "w2", expectedSeq: 1, events: [{ type: "run.started" }], now: T0 },
        { runId: b!.run.id, owner: "w1", expectedSeq: 1, events: [{ type: "run.started" }], now: T0 },
        { runId: "run_a", owner: "w1", expectedSeq: a + 1, events: [{ type: "run.suspended" }], now: T0 },
      ]);
      expect(results.map((r) => (r.ok ? r.seq : r.reason))).toEqual([2, "conflict", "lease_lost", 2, 3]);
      expect(await store().commit([])).toEqual([]);
    });

    it("applies a batch of commits of different runs together, each exactly as it would alone", async () => {
      // Five runs held by w1: one suspends on a new hook, one consumes a payload and finishes, one
      // closes one hook and goes on, one is refused (stale seq), one suspends with a payload waiting.
      for (const id of ["run_a", "run_b", "run_c", "run_d", "run_e"]) await x.createRun(id);
      const seq = Object.fromEntries((await x.claim("w1")).map((c) => [c.run.id, c.run.seq]));
      for (const [run, token] of [
        ["run_b", "tok_b"],
        ["run_c", "tok_c1"],
        ["run_e", "tok_e"],
      ] as const) {
        seq[run] = okSeq(
          await x.commit({
            runId: run,
            expectedSeq: seq[run]!,
            registerHooks: [{ hookId: `hook_${token}`, token, kind: "hook", adoptEarly: false }],
            events: [{ type: "run.started" }],
          }),
        );
      }
      seq.run_c = okSeq(
        await x.commit({
          runId: "run_c",
          expectedSeq: seq.run_c!,
          registerHooks: [{ hookId: "hook_tok_c2", token: "tok_c2", kind: "hook", adoptEarly: false }],
        }),
      );
      const pay = (token: string) =>
        store().resumeHook({ token, payload: "1", ifMissing: "error", now: T0 + 1 });
      const inboxB = ((await pay("tok_b")) as { inboxId: number }).inboxId;
      await pay("tok_e");
      const results = await store().commit([
        {
          runId: "run_a",
          owner: "w1",
          expectedSeq: seq.run_a!,
          now: T0 + 2,
          events: [
            { type: "run.started" },
            { type: "hook.created", callSeq: 0, hookId: "hook_a", token: "tok_a", kind: "hook" },
            { type: "run.suspended", wakeAt: T0 + 500 },
          ],
          registerHooks: [
            { hookId: "hook_a", token: "tok_a", kind: "hook", expiresAt: T0 + 500, adoptEarly: true },
          ],
          status: "suspended",
          release: { wakeAt: T0 + 500 },
          outbox: [{ id: "dlv_a", handler: "batch", event: "[]" }],
        },
        {
          runId: "run_b",
          owner: "w1",
          expectedSeq: seq.run_b!,
          now: T0 + 2,
          events: [{ type: "run.succeeded", output: "7" }],
          consumeInbox: [inboxB, inboxB],
          closeAllHooks: true,
          status: "succeeded",
          output: "7",
        },
        {
          runId: "run_c",
          owner: "w1",
          expectedSeq: seq.run_c!,
          now: T0 + 2,
          events: [{ type: "hook.disposed", hookId: "hook_tok_c1", token: "tok_c1", reason: "disposed" }],
          closeHooks: [{ hookId: "hook_tok_c1", status: "disposed" }],
        },
        {
          runId: "run_d",
          owner: "w1",
          expectedSeq: seq.run_d! + 5,
          now: T0 + 2,
          events: [{ type: "run.started" }],
        },
        {
          runId: "run_e",
          owner: "w1",
          expectedSeq: seq.run_e!,
          now: T0 + 2,
          events: [{ type: "run.suspended" }],
          status: "suspended",
          release: {},
        },
      ]);
      expect(results).toEqual([
        { ok: true, seq: 4, pendingInbox: 0, cancelRequested: false },
        { ok: true, seq: 3, pendingInbox: 0, cancelRequested: false },
        { ok: true, seq: 3, pendingInbox: 0, cancelRequested: false },
        { ok: false, reason: "conflict" },
        { ok: true, seq: 3, pendingInbox: 1, cancelRequested: false },
      ]);
      expect((await store().readEvents("run_a")).map((e) => e.type)).toEqual([
        "run.created",
        "run.started",
        "hook.created",
        "run.suspended",
      ]);
      expect(await store().getRun("run_a")).toMatchObject({ status: "suspended", wakeAt: T0 + 500, seq: 4 });
      expect(await store().getHook("tok_a")).toMatchObject({
        hookId: "hook_a",
        status: "pending",
        expiresAt: T0 + 500,
      });
      expect(await store().getRun("run_b")).toMatchObject({
        status: "succeeded",
        output: "7",
        finishedAt: T0 + 2,
      });
      expect(await store().readInbox("run_b")).toEqual([]);
      expect(await store().getHook("tok_b")).toMatchObject({ status: "disposed", closedAt: T0 + 2 });
      expect(await store().getHook("tok_c1")).toMatchObject({ status: "disposed", closedAt: T0 + 2 });
      expect(await store().getHook("tok_c2")).toMatchObject({ status: "pending" });
      expect(await store().getRun("run_c")).toMatchObject({ status: "running", seq: 3 });
      expect(await store().readEvents("run_d")).toHaveLength(1);
      expect(await store().getRun("run_e")).toMatchObject({ status: "suspended", wakeAt: T0 + 2 });
      // The outbox entry is leased to w1, then due for anyone.
      const due = (now: number) =>
        store().claimOutbox({ owner: "w2", now, leaseMs: 1000, limit: 10, workflows: [WF] });
      expect(await due(T0 + 3)).toEqual([]);
      expect((await due(T0 + 2 + 3_600_000)).map((o) => o.id)).toEqual(["dlv_a"]);
      // Released runs: claimable again (run_e at once, its payload waiting), run_a at its timer.
      const again = await x.claim("w1", { now: T0 + 500 });
      expect(again.map((c) => [c.run.id, c.inbox.length]).sort()).toEqual([
        ["run_a", 0],
        ["run_e", 1],
      ]);
    });

    it("records a terminal status with its output or error, and the run leaves the queue", async () => {
      const seq = await x.started("run_a");
      await x.createRun("run_b");
      const [b] = await x.claim("w1");
      okSeq(
        await x.commit({
          runId: "run_a",
          expectedSeq: seq,
          now: T0 + 10,
          events: [{ type: "run.succeeded", output: "42" }],
          status: "succeeded",
          output: "42",
        }),
      );
      const error = { name: "Error", message: "boom", code: "X" };
      okSeq(
        await x.commit({
          runId: b!.run.id,
          expectedSeq: 1,
          now: T0 + 11,
          events: [{ type: "run.failed", error }],
          status: "failed",
          error,
        }),
      );
      expect(await store().getRun("run_a")).toMatchObject({
        status: "succeeded",
        output: "42",
        finishedAt: T0 + 10,
        updatedAt: T0 + 10,
        wakeAt: undefined,
      });
      expect(await store().getRun("run_b")).toMatchObject({ status: "failed", error, finishedAt: T0 + 11 });
      expect(await x.claim("w2", { now: T0 + 10 * 60_000 })).toEqual([]);
      expect(await store().nextWakeAt()).toBeUndefined();
    });
  });

  describe("workflow names", () => {
    it("registers names idempotently and lists them sorted", async () => {
      expect(await store().listWorkflows()).toEqual([]);
      await store().registerWorkflows(["b", "a"], T0);
      await store().registerWorkflows(["a", "c"], T0 + 1);
      await store().registerWorkflows([], T0 + 2);
      expect(await store().listWorkflows()).toEqual(["a", "b", "c"]);
    });
  });
}
