import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  createHook,
  defineStep,
  defineWorkflow,
  FatalError,
  type LatchPlugin,
  type RunEvent,
  step,
} from "../../src/index.js";
import { createTestLatch, type TestLatch } from "../../src/testing/index.js";
import { cacheKey, resultCachePlugin, stableHash } from "./result-cache.js";

const opened: TestLatch[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const t of opened.splice(0)) await t.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const calls = { geocode: 0, lookup: 0, inline: 0, flaky: 0 };

const geocode = defineStep("geocode", (address: { city: string; zip?: string }) => {
  calls.geocode++;
  return { lat: 48.85, lon: 2.35, city: address.city, call: calls.geocode };
});
const lookup = defineStep("lookup", (city: string) => {
  calls.lookup++;
  return `${city}:${calls.lookup}`;
});
const flaky = defineStep(
  "flaky",
  (n: number) => {
    calls.flaky++;
    if (calls.flaky === 1) throw new FatalError("upstream said no");
    return n * 2;
  },
  { retries: 0 },
);

const enrich = defineWorkflow("enrich", async (address: { city: string; zip?: string }) => {
  const point = await geocode(address);
  const name = await lookup(address.city);
  const inline = await step("inline", () => ++calls.inline);
  return { point, name, inline };
});
const doubling = defineWorkflow("doubling", async (n: number) => flaky(n));

async function open(plugin: LatchPlugin, store = "sqlite::memory:"): Promise<TestLatch> {
  const t = await createTestLatch({ workflows: [enrich, doubling], options: { store, plugins: [plugin] } });
  opened.push(t);
  return t;
}

const completed = (events: RunEvent[], name: string) =>
  events.filter(
    (e): e is Extract<RunEvent, { type: "step.completed" }> => e.type === "step.completed" && e.name === name,
  );

describe("resultCachePlugin", () => {
  it("skips an opted-in step whose inputs were seen, and records the cached result as skipped", async () => {
    for (const k of Object.keys(calls)) calls[k as keyof typeof calls] = 0;
    const hits: string[] = [];
    const t = await open(resultCachePlugin({ steps: ["geocode"], onHit: (ctx) => hits.push(ctx.step) }));

    const first = await t.start(enrich, { city: "Paris", zip: "75001" });
    const firstOut = await first.result();
    expect(calls).toMatchObject({ geocode: 1, lookup: 1, inline: 1 });

    // Same arguments, keys in another order: the step function does not run again.
    const second = await t.start(enrich, { zip: "75001", city: "Paris" });
    const secondOut = await second.result();
    expect(calls).toMatchObject({ geocode: 1, lookup: 2, inline: 2 });
    expect(hits).toEqual(["geocode"]);
    expect(secondOut.point).toEqual(firstOut.point);
    expect(secondOut.name).toBe("Paris:2"); // not opted in: executed

    const [fresh] = completed(await first.events(), "geocode");
    const [cached] = completed(await second.events(), "geocode");
    expect(fresh).not.toHaveProperty("skipped");
    expect(cached).toMatchObject({ type: "step.completed", name: "geocode", attempt: 1, skipped: true });
    expect(cached!.result).toEqual({ lat: 48.85, lon: 2.35, city: "Paris", call: 1 });
    // Only the cached step is marked.
    expect(completed(await second.events(), "lookup")[0]).not.toHaveProperty("skipped");

    // Other inputs miss.
    await (await t.start(enrich, { city: "Lyon" })).result();
    expect(calls.geocode).toBe(2);
  });

  it("takes a predicate; never caches a failure, nor an inline step (no visible input)", async () => {
    for (const k of Object.keys(calls)) calls[k as keyof typeof calls] = 0;
    const t = await open(
      resultCachePlugin({ steps: (ctx) => ctx.step === "flaky" || ctx.step === "inline" }),
    );

    await expect((await t.start(doubling, 21)).result()).rejects.toThrow(/flaky|upstream said no/);
    expect(await (await t.start(doubling, 21)).result()).toBe(42); // the failure was not cached
    expect(await (await t.start(doubling, 21)).result()).toBe(42);
    expect(calls.flaky).toBe(2);

    await (await t.start(enrich, { city: "Paris" })).result();
    await (await t.start(enrich, { city: "Paris" })).result();
    expect(calls.inline).toBe(2);
    expect(calls.geocode).toBe(2); // not selected by the predicate
  });

  it("a replay in another engine returns the recorded result without consulting the cache", async () => {
    for (const k of Object.keys(calls)) calls[k as keyof typeof calls] = 0;
    const dir = mkdtempSync(join(tmpdir(), "latch-cache-"));
    dirs.push(dir);
    const store = `sqlite:${join(dir, "latch.db")}`;
    const waits = defineWorkflow("cached_then_wait", async (city: string) => {
      const point = await geocode({ city });
      const ok = await createHook<boolean>({ name: "go" });
      return { point, ok };
    });
    const shared = new Map<string, string>();
    let gets = 0;
    const counting = {
      get: (k: string) => {
        gets++;
        return shared.get(k);
      },
      set: (k: string, v: string) => shared.set(k, v),
    };
    const plugin = resultCachePlugin({ steps: ["geocode"], store: counting });

    const a = await createTestLatch({ workflows: [waits], options: { store, plugins: [plugin] } });
    opened.push(a);
    await a.start(waits, "Rome"); // fills the cache
    await a.idle();
    const run = await a.start(waits, "Rome"); // a hit
    await a.idle();
    const [hook] = (await a.hooks.list({ status: "pending", runId: run.id })).items;
    await a.close();
    expect(calls.geocode).toBe(1);
    expect(gets).toBe(2);

    shared.clear(); // whatever the cache holds now, the log decides
    const b = await createTestLatch({ workflows: [waits], options: { store, plugins: [plugin] } });
    opened.push(b);
    await b.resumeHook(hook!.token, true);
    expect(await b.handle(run.id).result()).toEqual({
      point: { lat: 48.85, lon: 2.35, city: "Rome", call: 1 },
      ok: true,
    });
    expect(calls.geocode).toBe(1);
    expect(gets).toBe(2);
  });
});

describe("keys", () => {
  it("hash canonically: key order ignored, types and undefined kept apart", () => {
    expect(stableHash({ a: 1, b: [1, { c: "x", d: null }] })).toBe(
      stableHash({ b: [1, { d: null, c: "x" }], a: 1 }),
    );
    expect(stableHash([1])).not.toBe(stableHash(["1"]));
    expect(stableHash([null])).not.toBe(stableHash([undefined]));
    expect(stableHash({ a: undefined })).toBe(stableHash({}));
    expect(stableHash([new Date("2030-01-01T00:00:00Z")])).toBe(stableHash(["2030-01-01T00:00:00.000Z"]));
    const shared = { x: 1 };
    expect(stableHash([shared, shared])).toBe(stableHash([{ x: 1 }, { x: 1 }]));
  });

  it("refuses inputs it cannot hash faithfully", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const bad of [[() => 1], [cyclic], [new Map([[1, 2]])], [Number.NaN], [1n], [Symbol("s")]]) {
      expect(stableHash(bad)).toBeUndefined();
    }
    expect(cacheKey({ workflow: "w", step: "s", input: [new Set()] })).toBeUndefined();
  });

  it("keys by workflow, step and input", () => {
    const k = (workflow: string, step: string, input: unknown[]) => cacheKey({ workflow, step, input });
    expect(k("w", "s", [1])).toBe(k("w", "s", [1]));
    expect(new Set([k("w", "s", [1]), k("w2", "s", [1]), k("w", "s2", [1]), k("w", "s", [2])]).size).toBe(4);
  });
});
