import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterEach, expect, it, vi } from "vitest";
import { createHook, defineStep, defineWorkflow, step } from "../../src/index.js";
import { createTestLatch, type TestLatch } from "../../src/testing/index.js";
import { type AuditRecord, auditLogPlugin } from "./audit-log.js";

const opened: TestLatch[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const t of opened.splice(0)) await t.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fake wall clock the steps move forward, so durations are exact. */
const wall = { ms: 1_000_000 };

const reserve = defineStep("reserve", (sku: string, qty: number) => {
  wall.ms += 250;
  return { sku, qty, reservation: `r-${sku}` };
});

const checkout = defineWorkflow("audited_checkout", async (sku: string) => {
  const reservation = await reserve(sku, 2);
  const charge = await step(
    "charge",
    ({ attempt }) => {
      wall.ms += attempt === 1 ? 40 : 60;
      if (attempt === 1) throw new Error("gateway timeout");
      return { charged: 42 };
    },
    { retries: 2, backoff: "1s" },
  );
  const approval = await createHook<{ ok: boolean }>({ name: "ship_approval" });
  const shipped = await step("ship", () => {
    wall.ms += 5;
    return approval.ok;
  });
  return { reservation, charge, shipped };
});

async function open(sink: AuditRecord[] | Writable, store = "sqlite::memory:"): Promise<TestLatch> {
  const t = await createTestLatch({
    workflows: [checkout],
    options: { store, plugins: [auditLogPlugin({ sink, now: () => wall.ms })] },
  });
  opened.push(t);
  return t;
}

async function pendingToken(t: TestLatch, runId: string): Promise<string> {
  await t.idle();
  const [hook] = (await t.hooks.list({ status: "pending", runId })).items;
  if (!hook) throw new Error(`run ${runId} has no pending hook`);
  return hook.token;
}

it("writes one record per step attempt, failed attempts included, with exact durations", async () => {
  const records: AuditRecord[] = [];
  const t = await open(records);
  const start = wall.ms;
  const run = await t.start(checkout, "sku-1");
  await t.idle();
  await t.clock.advance("1s"); // the charge retry
  await t.resumeHook(await pendingToken(t, run.id), { ok: true });
  expect(await run.result()).toMatchObject({ charge: { charged: 42 }, shipped: true });

  expect(records).toEqual([
    {
      runId: run.id,
      workflow: "audited_checkout",
      step: "reserve",
      callSeq: expect.any(Number),
      attempt: 1,
      idempotencyKey: expect.stringContaining(run.id),
      start,
      end: start + 250,
      durationMs: 250,
      status: "succeeded",
    },
    expect.objectContaining({
      step: "charge",
      attempt: 1,
      start: start + 250,
      durationMs: 40,
      status: "failed",
      error: { name: "Error", message: "gateway timeout" },
    }),
    expect.objectContaining({ step: "charge", attempt: 2, durationMs: 60, status: "succeeded" }),
    expect.objectContaining({ step: "ship", attempt: 1, durationMs: 5, status: "succeeded" }),
  ]);
  expect(records[2]).not.toHaveProperty("error");
  // Each step call has its own position and idempotency key; attempts of one call share them.
  expect(records[1]!.callSeq).toBe(records[2]!.callSeq);
  expect(records[1]!.idempotencyKey).toBe(records[2]!.idempotencyKey);
  expect(records[0]!.callSeq).not.toBe(records[1]!.callSeq);
});

it("streams JSON lines to a writable stream", async () => {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const t = await open(stream);
  const run = await t.start(checkout, "sku-2");
  await t.idle();
  await t.clock.advance("1s");
  await t.resumeHook(await pendingToken(t, run.id), { ok: false });
  await run.result();

  expect(chunks.every((c) => c.endsWith("\n"))).toBe(true);
  const lines = chunks.map((c) => JSON.parse(c) as AuditRecord);
  expect(lines.map((r) => [r.step, r.attempt, r.status])).toEqual([
    ["reserve", 1, "succeeded"],
    ["charge", 1, "failed"],
    ["charge", 2, "succeeded"],
    ["ship", 1, "succeeded"],
  ]);
  expect(lines.every((r) => r.runId === run.id && r.durationMs === r.end - r.start)).toBe(true);
});

it("does not audit recorded steps again when another process replays the run", async () => {
  const dir = mkdtempSync(join(tmpdir(), "latch-audit-"));
  dirs.push(dir);
  const store = `sqlite:${join(dir, "latch.db")}`;
  const records: AuditRecord[] = [];

  const first = await open(records, store);
  const run = await first.start(checkout, "sku-3");
  await first.idle();
  await first.clock.advance("1s");
  const token = await pendingToken(first, run.id);
  await first.close();
  expect(records.map((r) => `${r.step}#${r.attempt}`)).toEqual(["reserve#1", "charge#1", "charge#2"]);

  // A new engine on the same file replays reserve and charge from the log; only ship executes.
  const second = await open(records, store);
  await second.resumeHook(token, { ok: true });
  await second.idle();
  expect((await second.getRun(run.id))?.status).toBe("succeeded");
  expect(records.map((r) => `${r.step}#${r.attempt}`)).toEqual([
    "reserve#1",
    "charge#1",
    "charge#2",
    "ship#1",
  ]);
});

it("calls a function sink; writes JSON lines to stdout by default", async () => {
  const seen: string[] = [];
  const tiny = defineWorkflow("audited_tiny", async () => step("only", () => 1));
  const t = await createTestLatch({
    workflows: [tiny],
    options: { plugins: [auditLogPlugin({ sink: (r) => seen.push(`${r.step}:${r.status}`) })] },
  });
  opened.push(t);
  await (await t.start(tiny)).result();
  expect(seen).toEqual(["only:succeeded"]);

  const written: string[] = [];
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    written.push(String(chunk));
    return true;
  });
  try {
    const u = await createTestLatch({ workflows: [tiny], options: { plugins: [auditLogPlugin()] } });
    opened.push(u);
    const run = await u.start(tiny);
    await run.result();
    expect(written.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({ runId: run.id, step: "only", status: "succeeded" }),
    ]);
  } finally {
    spy.mockRestore();
  }
});

it("refuses a sink it cannot write to", () => {
  expect(() => auditLogPlugin({ sink: {} as never })).toThrow(/sink must be/);
});
