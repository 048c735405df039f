import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  createHook,
  defineHook,
  defineWorkflow,
  HookConflictError,
  HookDisposedError,
  HookExpiredError,
  HookNotFoundError,
  IdempotencyConflictError,
  LatchError,
  PayloadValidationError,
  sleep,
  step,
} from "../../src/index.js";
import { createTestLatch, type TestLatch } from "../../src/testing/index.js";
import { failure } from "../support/failure.js";

let t: TestLatch | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function pendingHook(latch: TestLatch, runId: string) {
  await latch.idle();
  const [hook] = (await latch.hooks.list({ status: "pending", runId })).items;
  if (!hook) throw new Error(`run ${runId} has no pending hook`);
  return hook;
}

const approval = defineHook(
  "test_approval",
  z.object({ approved: z.boolean(), reviewer: z.string(), note: z.string().optional() }),
);

describe("typed hooks", () => {
  const wf = defineWorkflow("typed_hook", async () => {
    const d = await approval.create({ timeout: "1d" });
    return d;
  });

  it("suspends, stores the JSON Schema, and resumes with a validated payload", async () => {
    t = await createTestLatch({ workflows: [wf] });
    const run = await t.start(wf);
    const hook = await pendingHook(t, run.id);
    expect(await run.status()).toBe("suspended");
    expect(hook.name).toBe("test_approval");
    expect(hook.token).toBe(`${run.id}:${hook.hookId}`);
    expect(hook.schema).toMatchObject({ type: "object", required: ["approved", "reviewer"] });
    expect(hook.expiresAt).toBe(t.clock.now() + 86_400_000);
    await t.resumeHook(hook.token, { approved: true, reviewer: "ann" });
    expect(await run.result()).toEqual({ approved: true, reviewer: "ann" });
    const types = (await run.events({ typePrefix: "hook" })).map((e) => e.type);
    expect(types).toEqual(["hook.created", "hook.received", "hook.disposed"]);
  });

  it("refuses a payload failing the schema, listing every issue, and records nothing", async () => {
    t = await createTestLatch({ workflows: [wf] });
    const run = await t.start(wf);
    const hook = await pendingHook(t, run.id);
    const err = await failure(t.resumeHook(hook.token, { approved: "yes", note: 5 }));
    expect(PayloadValidationError.is(err)).toBe(true);
    expect(err.code).toBe("PAYLOAD_INVALID");
    expect(err.issues.map((i: { path: string }) => i.path).sort()).toEqual(["approved", "note", "reviewer"]);
    expect((await t.hooks.get(hook.token))?.payloads).toBe(0);
    await t.resumeHook(hook.token, { approved: false, reviewer: "bob" });
    expect(await run.result()).toEqual({ approved: false, reviewer: "bob" });
  });

  it("mockHooks answers hooks by name and counts them", async () => {
    t = await createTestLatch({
      workflows: [wf],
      mockHooks: {
        test_approval: (h: { token: string }) => ({ approved: true, reviewer: h.token.slice(0, 4) }),
      },
    });
    const run = await t.start(wf);
    expect(await run.result()).toEqual({ approved: true, reviewer: "run_" });
    expect(t.hookCount).toBe(1);
    expect(t.hookCounts).toEqual({ test_approval: 1 });
  });
});

describe("timeouts", () => {
  const wf = defineWorkflow("hook_timeout", async () => {
    try {
      return await createHook<string>({ name: "slow", timeout: "1h30m" });
    } catch (err) {
      return HookExpiredError.is(err) ? "expired" : "other";
    }
  });

  it("expires inside the workflow (catchable) and refuses a late resume", async () => {
    t = await createTestLatch({ workflows: [wf] });
    const run = await t.start(wf);
    const hook = await pendingHook(t, run.id);
    await t.clock.advance("1h29m");
    expect(await run.status()).toBe("suspended");
    await t.clock.advance("1m");
    expect(await run.result()).toBe("expired");
    const late = await failure(t.resumeHook(hook.token, "hi"));
    expect(HookExpiredError.is(late)).toBe(true);
    expect((await t.hooks.get(hook.token))?.status).toBe("expired");
  });

  it("refuses a resume after the deadline even before a worker marked it expired", async () => {
    t = await createTestLatch({ workflows: [wf], options: { worker: false } });
    const noWorker = await createTestLatch({ workflows: [wf] });
    try {
      const run = await noWorker.start(wf);
      const hook = await pendingHook(noWorker, run.id);
      await noWorker.worker?.stop();
      await noWorker.clock.advance("2h");
      expect(HookExpiredError.is(await failure(noWorker.resumeHook(hook.token, "x")))).toBe(true);
    } finally {
      await noWorker.close();
    }
  });

  it("delivers a payload accepted before the deadline even if the run wakes after it", async () => {
    const wf2 = defineWorkflow("hook_timeout_busy", async () => {
      const h = createHook<string>({ name: "x", timeout: "1m" });
      await sleep("2m");
      try {
        return await h;
      } catch {
        return "expired";
      }
    });
    t = await createTestLatch({ workflows: [wf2] });
    const run = await t.start(wf2);
    const hook = await pendingHook(t, run.id);
    await t.resumeHook(hook.token, "early");
    await t.clock.advance("3m");
    expect(await run.result()).toBe("early");
  });
});

describe("tokens", () => {
  const holder = defineWorkflow("token_holder", async (token: string) => {
    const h = createHook<string>({ token });
    const first = await h;
    h.dispose();
    await sleep("1h");
    return first;
  });
  const second = defineWorkflow("token_second", async (token: string) => {
    try {
      return await createHook<string>({ token });
    } catch (err) {
      return HookConflictError.is(err) ? "conflict" : String(err);
    }
  });

  it("a live custom token conflicts; after dispose it is reusable", async () => {
    t = await createTestLatch({ workflows: [holder, second] });
    const a = await t.start(holder, "slack:C123");
    await t.idle();
    const b = await t.start(second, "slack:C123");
    expect(await b.result()).toBe("conflict");
    await t.resumeHook("slack:C123", "to-a");
    await t.idle();
    expect(await a.status()).toBe("suspended");
    const c = await t.start(second, "slack:C123");
    await t.idle();
    await t.resumeHook("slack:C123", "to-c");
    expect(await c.result()).toBe("to-c");
    await t.clock.advance("1h");
    expect(await a.result()).toBe("to-a");
  });

  it.each([
    ["replayed", 0],
    ["warm", undefined],
  ])(
    "a run disposes its hook and takes the same token again, payload after payload (the loop pattern, %s)",
    async (_, warmCacheSize) => {
      const loop = defineWorkflow("token_loop", async (token: string, rounds: number) => {
        const got: string[] = [];
        for (let i = 0; i < rounds; i++) {
          using h = createHook<string>({ token });
          got.push(await h);
        }
        return got;
      });
      t = await createTestLatch({ workflows: [loop], options: { worker: { warmCacheSize } } });
      const run = await t.start(loop, "loop:C1", 4);
      for (const p of ["a", "b", "c", "d"]) {
        await t.idle();
        expect((await t.hooks.get("loop:C1"))?.status).toBe("pending");
        await t.resumeHook("loop:C1", p);
      }
      expect(await run.result()).toEqual(["a", "b", "c", "d"]);
      const hooks = (await t.hooks.list({ runId: run.id })).items;
      expect(hooks.map((h) => [h.token, h.status, h.payloads])).toEqual(
        [1, 2, 3, 4].map(() => ["loop:C1", "disposed", 1]),
      );
    },
  );

  it("hands a token over: dispose, then another run takes it while the first takes it back later", async () => {
    const handoff = defineWorkflow("token_handoff", async (token: string) => {
      const first = createHook<{ handoff?: boolean; n: number }>({ token });
      const got: number[] = [];
      for await (const p of first) {
        got.push(p.n);
        if (p.handoff) {
          first.dispose();
          break;
        }
      }
      await sleep("1h");
      const again = createHook<{ n: number }>({ token });
      got.push((await again).n);
      return got;
    });
    const second = defineWorkflow("token_taker", async (token: string) => {
      using h = createHook<{ n: number }>({ token });
      return (await h).n;
    });
    t = await createTestLatch({ workflows: [handoff, second] });
    const a = await t.start(handoff, "chan:7");
    await t.idle();
    await t.resumeHook("chan:7", { n: 1 });
    await t.resumeHook("chan:7", { n: 2, handoff: true });
    await t.idle();
    const b = await t.start(second, "chan:7");
    await t.idle();
    await t.resumeHook("chan:7", { n: 3 });
    expect(await b.result()).toBe(3);
    await t.clock.advance("1h");
    await t.resumeHook("chan:7", { n: 4 });
    expect(await a.result()).toEqual([1, 2, 4]);
  });

  it("a run taking its own live token again before disposing it still gets HookConflictError", async () => {
    const early = defineWorkflow("token_early", async (token: string) => {
      const h = createHook<string>({ token });
      const again = createHook<string>({ token });
      h.dispose();
      const outcome = await again.then(
        () => "payload",
        (err) => (HookConflictError.is(err) ? "conflict" : String(err)),
      );
      using last = createHook<string>({ token });
      return [outcome, await last];
    });
    t = await createTestLatch({ workflows: [early] });
    const run = await t.start(early, "early:1");
    await t.idle();
    await t.resumeHook("early:1", "x");
    expect(await run.result()).toEqual(["conflict", "x"]);
  });

  it("resuming an unknown or disposed token is a typed error", async () => {
    t = await createTestLatch({ workflows: [holder] });
    expect(HookNotFoundError.is(await failure(t.resumeHook("nobody:here", 1)))).toBe(true);
    const a = await t.start(holder, "tok-1");
    await t.idle();
    await t.resumeHook("tok-1", "x");
    await t.idle();
    const err = await failure(t.resumeHook("tok-1", "y"));
    expect(HookDisposedError.is(err)).toBe(true);
    expect(err.message).toContain("tok-1");
    await t.clock.advance("1h");
    expect(await a.result()).toBe("x");
  });

  it('ifMissing: "keep" delivers an early payload first and once', async () => {
    const collect = defineWorkflow("collect_early", async (token: string) => {
      const h = createHook<string>({ token });
      const got: string[] = [];
      for await (const p of h) {
        got.push(p);
        if (got.length === 3) break;
      }
      return got;
    });
    t = await createTestLatch({ workflows: [collect] });
    const kept = await t.resumeHook("orders:42", "early-1", { ifMissing: "keep" });
    expect(kept).toMatchObject({ kept: true });
    await t.resumeHook("orders:42", "early-2", { ifMissing: "keep" });
    const run = await t.start(collect, "orders:42");
    await t.idle();
    await t.resumeHook("orders:42", "late");
    expect(await run.result()).toEqual(["early-1", "early-2", "late"]);
  });

  it("an idempotency key makes a repeat a no-op with the same answer, and refuses another payload", async () => {
    const many = defineWorkflow("idem", async () => {
      const h = createHook<number>({ token: "idem-tok" });
      const a = await h;
      const b = await h;
      return [a, b];
    });
    t = await createTestLatch({ workflows: [many] });
    const run = await t.start(many);
    await t.idle();
    const first = await t.resumeHook("idem-tok", 1, { idempotencyKey: "k1" });
    const again = await t.resumeHook("idem-tok", 1, { idempotencyKey: "k1" });
    expect(again).toEqual({ ...first, repeated: true });
    expect(first.repeated).toBe(false);
    // The same key with another payload is refused: nothing recorded, the first payload stands.
    const err = await failure(t.resumeHook("idem-tok", 7, { idempotencyKey: "k1" }));
    expect(IdempotencyConflictError.is(err)).toBe(true);
    expect(LatchError.is(err)).toBe(true);
    expect(HookConflictError.is(err)).toBe(false);
    expect(err).toMatchObject({ code: "IDEMPOTENCY_CONFLICT", name: "IdempotencyConflictError" });
    expect(err).toMatchObject({ token: "idem-tok", idempotencyKey: "k1" });
    expect(err.message).toMatch(/idempotencyKey: "k1" .*another payload.*new idempotency key/);
    expect((await t.hooks.get("idem-tok"))?.payloads).toBe(1);
    await t.resumeHook("idem-tok", 2, { idempotencyKey: "k2" });
    expect(await run.result()).toEqual([1, 2]);
    expect((await run.events({ typePrefix: "hook.received" })).length).toBe(2);
  });
});

describe("onCreated", () => {
  it("is called exactly once with the token, also across replays", async () => {
    const seen: string[] = [];
    const wf = defineWorkflow("on_created", async () => {
      const h = createHook<string>({ name: "n", onCreated: (token) => void seen.push(token) });
      const a = await h;
      await sleep("1m");
      await step("after", () => a);
      return a;
    });
    t = await createTestLatch({ workflows: [wf], options: { worker: { warmCacheSize: 0 } } });
    const run = await t.start(wf);
    const hook = await pendingHook(t, run.id);
    await t.resumeHook(hook.token, "p");
    await t.clock.advance("1m");
    expect(await run.result()).toBe("p");
    expect(seen).toEqual([hook.token]);
  });
});

describe("iteration", () => {
  it("delivers every payload once and in order, including ones sent while the workflow is busy", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const wf = defineWorkflow("iterate_busy", async () => {
      using h = createHook<number>({ token: "busy-tok" });
      const got: number[] = [];
      for await (const n of h) {
        if (n === 0) await step("slow", () => gate);
        got.push(n);
        if (got.length === 6) break;
      }
      return got;
    });
    t = await createTestLatch({ workflows: [wf] });
    const run = await t.start(wf);
    await t.idle();
    await t.resumeHook("busy-tok", 0);
    await new Promise((r) => setTimeout(r, 20));
    for (const n of [1, 2, 3, 4, 5]) await t.resumeHook("busy-tok", n);
    release();
    expect(await run.result()).toEqual([0, 1, 2, 3, 4, 5]);
    expect((await t.hooks.get("busy-tok"))?.status).toBe("disposed");
  });

  it("a hook raced against sleep() in a loop loses no payload", async () => {
    const wf = defineWorkflow("race_loop", async () => {
      const h = createHook<string>({ token: "race-tok" });
      const got: string[] = [];
      let ticks = 0;
      while (got.length < 4) {
        const r = await Promise.race([h.then((p) => ({ p })), sleep("10m").then(() => ({ tick: true }))]);
        if ("p" in r) got.push(r.p);
        else ticks++;
      }
      return { got, ticks };
    });
    t = await createTestLatch({ workflows: [wf], options: { worker: { warmCacheSize: 0 } } });
    const run = await t.start(wf);
    await t.idle();
    await t.resumeHook("race-tok", "a");
    await t.clock.advance("10m");
    await t.resumeHook("race-tok", "b");
    await t.resumeHook("race-tok", "c");
    await t.clock.advance("25m");
    await t.resumeHook("race-tok", "d");
    const { got, ticks } = (await run.result()) as { got: string[]; ticks: number };
    expect(got).toEqual(["a", "b", "c", "d"]);
    expect(ticks).toBeGreaterThanOrEqual(1);
  });

  it("dispose() ends iteration and frees the token; pending awaits fail with HookDisposedError", async () => {
    const wf = defineWorkflow("dispose_iter", async () => {
      const h = createHook<{ stop?: boolean; n: number }>({ token: "disp-tok" });
      const got: number[] = [];
      for await (const p of h) {
        got.push(p.n);
        if (p.stop) h.dispose();
      }
      const after = await h.then(
        () => "payload",
        (e) => (HookDisposedError.is(e) ? "disposed" : "other"),
      );
      return { got, after };
    });
    t = await createTestLatch({ workflows: [wf] });
    const run = await t.start(wf);
    await t.idle();
    await t.resumeHook("disp-tok", { n: 1 });
    await t.resumeHook("disp-tok", { n: 2, stop: true });
    expect(await run.result()).toEqual({ got: [1, 2], after: "disposed" });
    const events = (await run.events({ typePrefix: "hook.disposed" })) as { reason?: string }[];
    expect(events.map((e) => e.reason)).toEqual(["disposed"]);
  });

  it("awaits pending at the same moment share one payload", async () => {
    const wf = defineWorkflow("share", async () => {
      const h = createHook<number>({ token: "share-tok" });
      const [a, b] = await Promise.all([h, h]);
      const c = await h;
      return [a, b, c];
    });
    t = await createTestLatch({ workflows: [wf] });
    const run = await t.start(wf);
    await t.idle();
    await t.resumeHook("share-tok", 1);
    await t.idle();
    await t.resumeHook("share-tok", 2);
    expect(await run.result()).toEqual([1, 1, 2]);
  });
});
