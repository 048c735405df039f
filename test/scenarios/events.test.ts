/**
 * Events as users read them: recorded values (input, step results, payloads, output, recorded
 * now/random/uuid) are the values themselves, never JSON text to parse again.
 */
import { afterEach, expect, it } from "vitest";
import {
  createHook,
  defineWorkflow,
  now,
  type RunEvent,
  type RunEventOf,
  random,
  step,
  uuid,
} from "../../src/index.js";
import { createTestLatch, type TestLatch } from "../../src/testing/index.js";

let t: TestLatch | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const recorder = defineWorkflow("ev_recorder", async (order: { id: string; qty: number }, note: string) => {
  const priced = await step("price", () => ({ total: order.qty * 2.5, currency: "EUR" }));
  const label = await step("label", () => "42");
  const stamp = { at: now(), r: random(), id: uuid() };
  const hook = createHook<unknown>({ name: "ev_answer" });
  const first = await hook;
  const second = await hook;
  return { priced, label, note, first, second, stampOk: typeof stamp.id === "string" };
});

const one = <T extends RunEvent["type"]>(events: RunEvent[], type: T) =>
  events.filter((e): e is RunEventOf<T> => e.type === type);

it("run.events(), latch.events() and eventsPage() hand out decoded values", async () => {
  t = await createTestLatch({ workflows: [recorder] });
  const run = await t.start(recorder, { id: "o-1", qty: 4 }, "rush");
  await t.idle();
  const [hook] = (await t.hooks.list({ runId: run.id, status: "pending" })).items;
  await t.resumeHook(hook!.token, { approved: true, reviewer: "ann", tags: ["a", "b"] });
  // A string payload that looks like a number stays a string; a number stays a number.
  await t.resumeHook(hook!.token, "7");
  const output = await run.result();

  const events = await run.events();
  expect(one(events, "run.created")[0]?.input).toEqual([{ id: "o-1", qty: 4 }, "rush"]);
  expect(one(events, "step.completed").map((e) => e.result)).toEqual([{ total: 10, currency: "EUR" }, "42"]);
  expect(one(events, "hook.received").map((e) => e.payload)).toEqual([
    { approved: true, reviewer: "ann", tags: ["a", "b"] },
    "7",
  ]);
  expect(one(events, "run.succeeded")[0]?.output).toEqual(output);
  expect(output).toMatchObject({ label: "42", second: "7", stampOk: true });
  const recorded = one(events, "value.recorded");
  expect(recorded.map((e) => [e.kind, typeof e.value])).toEqual([
    ["now", "number"],
    ["random", "number"],
    ["uuid", "string"],
  ]);

  // Every path that hands events out gives the same decoded events.
  expect(await t.events(run.id)).toEqual(events);
  expect(await t.runs.events(run.id, { typePrefix: "hook" })).toEqual(
    events.filter((e) => e.type.startsWith("hook")),
  );
  const page = await t.runs.eventsPage(run.id, { typePrefix: "hook.received", limit: 1 });
  expect(page.items.map((e) => (e as RunEventOf<"hook.received">).payload)).toEqual([
    { approved: true, reviewer: "ann", tags: ["a", "b"] },
  ]);
  expect(page.nextCursor).toBeDefined();
  const next = await t.runs.eventsPage(run.id, {
    typePrefix: "hook.received",
    limit: 1,
    cursor: page.nextCursor,
  });
  expect(next.items.map((e) => (e as RunEventOf<"hook.received">).payload)).toEqual(["7"]);
  expect(next.nextCursor).toBeUndefined();

  // getRun gives the values too.
  expect(await t.getRun(run.id)).toMatchObject({ input: [{ id: "o-1", qty: 4 }, "rush"], output });
});

it("eventsPage refuses a cursor it did not give and names a missing run", async () => {
  t = await createTestLatch({ workflows: [recorder] });
  const run = await t.start(recorder, { id: "o-2", qty: 1 }, "");
  await t.idle();
  await expect(t.runs.eventsPage(run.id, { cursor: "abc" })).rejects.toMatchObject({
    code: "INVALID_ARGUMENT",
    field: "cursor",
  });
  await expect(t.runs.eventsPage("run_missing")).rejects.toMatchObject({ code: "RUN_NOT_FOUND" });
});
