import { Registry, register } from "prom-client";
import { afterEach, expect, it } from "vitest";
import { defineWorkflow, step } from "../../src/index.js";
import { createTestLatch, type TestLatch } from "../../src/testing/index.js";
import { prometheusMetricsPlugin } from "./prometheus-metrics.js";

const opened: TestLatch[] = [];
afterEach(async () => {
  for (const t of opened.splice(0)) await t.close();
});

/** A fake monotonic clock the steps move forward (in ms), so durations are exact. */
const mono = { ms: 0 };

const billing = defineWorkflow("billing", async (account: string) => {
  const charged = await step(
    "charge",
    ({ attempt }) => {
      mono.ms += 500;
      if (account === "flaky" && attempt === 1) throw new Error("card network down");
      return 10;
    },
    { retries: 1, backoff: "1s" },
  );
  const receipt = await step("receipt", () => {
    mono.ms += 125;
    return `receipt for ${charged}`;
  });
  return receipt;
});
const other = defineWorkflow("other", async () => step("receipt", () => "x"));

async function open(registry: Registry): Promise<TestLatch> {
  const t = await createTestLatch({
    workflows: [billing, other],
    options: { plugins: [prometheusMetricsPlugin({ registry, now: () => mono.ms })] },
  });
  opened.push(t);
  return t;
}

/** Sample values by `name{labels}`, read from the exposition text. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

it("counts and times step attempts by workflow, step and status", async () => {
  const registry = new Registry();
  const t = await open(registry);
  await (await t.start(billing, "steady")).result();
  const flaky = await t.start(billing, "flaky");
  await t.idle();
  await t.clock.advance("1s");
  await flaky.result();
  await (await t.start(other)).result();

  const text = await registry.metrics();
  expect(text).toContain("# TYPE latch_step_runs_total counter");
  expect(text).toContain("# TYPE latch_step_duration_seconds histogram");
  const s = samples(text);
  expect(s.get('latch_step_runs_total{workflow="billing",step="charge",status="succeeded"}')).toBe(2);
  expect(s.get('latch_step_runs_total{workflow="billing",step="charge",status="failed"}')).toBe(1);
  expect(s.get('latch_step_runs_total{workflow="billing",step="receipt",status="succeeded"}')).toBe(2);
  expect(s.get('latch_step_runs_total{workflow="other",step="receipt",status="succeeded"}')).toBe(1);
  expect(s.has('latch_step_runs_total{workflow="billing",step="receipt",status="failed"}')).toBe(false);

  const charge = 'workflow="billing",step="charge",status="succeeded"';
  expect(s.get(`latch_step_duration_seconds_count{${charge}}`)).toBe(2);
  expect(s.get(`latch_step_duration_seconds_sum{${charge}}`)).toBe(1);
  expect(s.get(`latch_step_duration_seconds_bucket{le="0.25",${charge}}`)).toBe(0);
  expect(s.get(`latch_step_duration_seconds_bucket{le="0.5",${charge}}`)).toBe(2);
  const receipt = 'workflow="billing",step="receipt",status="succeeded"';
  expect(s.get(`latch_step_duration_seconds_sum{${receipt}}`)).toBe(0.25);
  expect(s.get(`latch_step_duration_seconds_bucket{le="0.1",${receipt}}`)).toBe(0);
  expect(s.get(`latch_step_duration_seconds_bucket{le="0.25",${receipt}}`)).toBe(2);
  const failed = 'workflow="billing",step="charge",status="failed"';
  expect(s.get(`latch_step_duration_seconds_sum{${failed}}`)).toBe(0.5);

  // The injected registry is the only one written to.
  expect(register.getSingleMetric("latch_step_runs_total")).toBeUndefined();
});

it("a second engine on the same registry shares the metrics instead of failing", async () => {
  const registry = new Registry();
  const a = await open(registry);
  const b = await open(registry);
  await (await a.start(other)).result();
  await (await b.start(other)).result();
  const s = samples(await registry.metrics());
  expect(s.get('latch_step_runs_total{workflow="other",step="receipt",status="succeeded"}')).toBe(2);
});

it("takes a prefix and buckets", async () => {
  const registry = new Registry();
  const t = await createTestLatch({
    workflows: [other],
    options: { plugins: [prometheusMetricsPlugin({ registry, prefix: "shop_", buckets: [1, 60] })] },
  });
  opened.push(t);
  await (await t.start(other)).result();
  const s = samples(await registry.metrics());
  expect(s.get('shop_step_runs_total{workflow="other",step="receipt",status="succeeded"}')).toBe(1);
  expect(
    [...s.keys()]
      .filter((k) => k.startsWith("shop_step_duration_seconds_bucket"))
      .map((k) => k.split(",")[0]),
  ).toEqual([
    'shop_step_duration_seconds_bucket{le="1"',
    'shop_step_duration_seconds_bucket{le="60"',
    'shop_step_duration_seconds_bucket{le="+Inf"',
  ]);
});
