import { afterEach, describe, expect, it } from "vitest";
import {
  defineStep,
  defineWorkflow,
  FatalError,
  getRunContext,
  now,
  RetryableError,
  RunFailedError,
  random,
  SerializationError,
  StepTimeoutError,
  sleep,
  step,
  uuid,
} from "../../src/index.js";
import { createTestLatch, type TestLatch } from "../../src/testing/index.js";
import { failure } from "../support/failure.js";

let t: TestLatch | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe("retries", () => {
  it("retries with exponential back-off, then succeeds", async () => {
    const attempts: number[] = [];
    const wf = defineWorkflow("flaky", async () =>
      step(
        "flaky",
        ({ attempt }) => {
          attempts.push(attempt);
          if (attempt < 3) throw new Error(`boom ${attempt}`);
          return "ok";
        },
        { retries: 5, backoff: { initial: "1s", factor: 2 } },
      ),
    );
    t = await createTestLatch({ workflows: [wf] });
    const run = await t.start(wf);
    await t.idle();
    expect(attempts).toEqual([1]);
    await t.clock.advance("999ms");
    expect(attempts).toEqual([1]);
    await t.clock.advance("1ms");
    expect(attempts).toEqual([1, 2]);
    await t.clock.advance("2s");
    expect(await run.result()).toBe("ok");
    const retrying = (await run.events()).filter((e) => e.type === "step.retrying") as {
      retryAt: number;
      at: number;
    }[];
    expect(retrying.map((e) => e.retryAt - e.at)).toEqual([1000, 2000]);
  });

  it("FatalError fails at once; exhausting retries fails the run with the last error", async () => {
    let calls = 0;
    const fatal = defineWorkflow("fatal", async () =>
      step("f", () => {
        calls++;
        throw new FatalError("card declined");
      }),
    );
    const exhaust = defineWorkflow("exhaust", async () =>
      step(
        "e",
        () => {
          throw new Error("down");
        },
        { retries: 1, backoff: "5s" },
      ),
    );
    t = await createTestLatch({ workflows: [fatal, exhaust] });
    const a = await t.start(fatal);
    const err = await failure(a.result());
    expect(RunFailedError.is(err)).toBe(true);
    expect(FatalError.is(err.cause)).toBe(true);
    expect(err.cause.message).toBe("card declined");
    expect(calls).toBe(1);
    const b = await t.start(exhaust);
    await t.clock.advance("5s");
    const err2 = await failure(b.result());
    expect(err2.cause.message).toBe("down");
    expect((await b.events()).filter((e) => e.type === "step.started")).toHaveLength(2);
  });

  it("RetryableError.retryAfter sets the wait; the workflow can catch a failed step", async () => {
    const times: number[] = [];
    const wf = defineWorkflow("retry_after", async () => {
      try {
        await step(
          "r",
          () => {
            times.push(getRunContext().step!.attempt);
            throw new RetryableError("rate limited", { retryAfter: "30s" });
          },
          { retries: 1 },
        );
      } catch (err) {
        return `caught: ${(err as Error).message}`;
      }
    });
    t = await createTestLatch({ workflows: [wf] });
    const run = await t.start(wf);
    await t.clock.advance("29s");
    expect(times).toEqual([1]);
    await t.clock.advance("1s");
    expect(await run.result()).toBe("caught: rate limited");
  });

  it("a step timeout fails the attempt and aborts its signal", async () => {
    let aborted = false;
    const wf = defineWorkflow("timeout", async () =>
      step(
        "slow",
        ({ signal }) =>
          new Promise((_, reject) => {
            signal.addEventListener("abort", () => {
              aborted = true;
              reject(signal.reason);
            });
          }),
        { timeout: "10s", retries: 0 },
      ),
    );
    t = await createTestLatch({ workflows: [wf] });
    const run = await t.start(wf);
    await t.clock.advance("10s");
    const err = await failure(run.result());
    expect(StepTimeoutError.is(err.cause)).toBe(true);
    expect(aborted).toBe(true);
  });

  it("a result that cannot be stored fails the step without retry, naming the field", async () => {
    const wf = defineWorkflow("bad_result", async () => step("m", () => ({ items: [1, new Map()] })));
    t = await createTestLatch({ workflows: [wf] });
    const err = await failure((await t.start(wf)).result());
    expect(SerializationError.is(err.cause)).toBe(true);
    expect(err.cause.message).toContain('step "m" result.items[1]');
  });
});

describe("concurrency, sleep and recorded values", () => {
  it("runs concurrent steps together and keeps call order on replay", async () => {
    const started: string[] = [];
    const wf = defineWorkflow("fanout", async () => {
      const parts = await Promise.all(
        ["a", "b", "c"].map((n) =>
          step(n, async () => {
            started.push(n);
            await new Promise((r) => setTimeout(r, n === "a" ? 15 : 1));
            return n.toUpperCase();
          }),
        ),
      );
      await sleep("1h");
      return parts.join("");
    });
    t = await createTestLatch({ workflows: [wf], options: { worker: { warmCacheSize: 0 } } });
    const run = await t.start(wf);
    await t.idle();
    expect(await run.status()).toBe("suspended");
    await t.clock.advance("1h");
    expect(await run.result()).toBe("ABC");
    expect(started.sort()).toEqual(["a", "b", "c"]);
  });

  it("sleep until a Date, and now/random/uuid return the recorded values on replay", async () => {
    const seen: unknown[] = [];
    const wf = defineWorkflow("values", async () => {
      const v = { t: now(), r: random(), u: uuid() };
      seen.push(v);
      await sleep(new Date(v.t + 60_000));
      return v;
    });
    t = await createTestLatch({ workflows: [wf], options: { worker: { warmCacheSize: 0 } } });
    const run = await t.start(wf);
    await t.clock.advance("1m");
    const out = (await run.result()) as { t: number; r: number; u: string };
    expect(seen).toHaveLength(2);
    expect(seen[1]).toEqual(seen[0]);
    expect(out.u).toMatch(/^[0-9a-f-]{36}$/);
    expect(out.t).toBe(Date.UTC(2030, 0, 1));
  });

  it("defineStep names a reusable step; getRunContext gives the idempotency key", async () => {
    const charge = defineStep("charge", async (amount: number) => ({
      amount,
      key: getRunContext().step?.idempotencyKey,
    }));
    const wf = defineWorkflow("charge_wf", async () => charge(5));
    t = await createTestLatch({ workflows: [wf] });
    const run = await t.start(wf);
    const out = (await run.result()) as { amount: number; key: string };
    expect(out).toEqual({ amount: 5, key: `${run.id}:1` });
  });
});
