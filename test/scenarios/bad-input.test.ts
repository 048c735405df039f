import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  createClient,
  createHook,
  createLatch,
  defineWorkflow,
  InvalidArgumentError,
  InvalidDurationError,
  InvalidTokenError,
  LatchError,
  NotALatchDatabaseError,
  NotInWorkflowError,
  parseDuration,
  SerializationError,
  StoreUnavailableError,
  sleep,
  step,
  UnknownWorkflowError,
} from "../../src/index.js";
import { createTestLatch, type TestLatch } from "../../src/testing/index.js";
import { failure } from "../support/failure.js";

let t: TestLatch | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});
const dir = mkdtempSync(join(tmpdir(), "latch-bad-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const waiter = defineWorkflow("waiter", async () => createHook<unknown>({ token: "bad-input-tok" }));

describe("bad input gets a typed error naming the field, and loses nothing", () => {
  it("unknown workflow name", async () => {
    t = await createTestLatch({ workflows: [waiter] });
    const err = await failure(t.start("no_such_flow"));
    expect(UnknownWorkflowError.is(err)).toBe(true);
    expect(err.code).toBe("UNKNOWN_WORKFLOW");
    expect(err.message).toContain('"waiter"');
  });

  it("a client that runs no code refuses names no worker registered", async () => {
    const file = join(dir, "names.db");
    const latch = await createLatch({ workflows: [waiter], store: `sqlite:${file}` });
    await latch.close();
    const client = await createClient({ store: `sqlite:${file}` });
    try {
      expect(UnknownWorkflowError.is(await failure(client.start("typo")))).toBe(true);
    } finally {
      await client.close();
    }
  });

  it("a payload or input that cannot be stored", async () => {
    t = await createTestLatch({ workflows: [waiter] });
    expect(SerializationError.is(await failure(t.start("waiter", 1n)))).toBe(true);
    const run = await t.start(waiter);
    await t.idle();
    const err = await failure(t.resumeHook("bad-input-tok", { ok: 1, fn: () => 1 }));
    expect(SerializationError.is(err)).toBe(true);
    expect(err.field).toBe("payload.fn");
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect((await failure(t.resumeHook("bad-input-tok", cyclic))).message).toContain("cycle");
    await t.resumeHook("bad-input-tok", { ok: 2 });
    expect(await run.result()).toEqual({ ok: 2 });
  });

  it("a Date or a lone surrogate is refused wherever a value is stored, naming the field", async () => {
    const dated = defineWorkflow("dated_result", async () => step("when", () => ({ at: new Date(0) })));
    t = await createTestLatch({ workflows: [waiter, dated] });
    const date = await failure(t.start("waiter", new Date(0)));
    expect(SerializationError.is(date)).toBe(true);
    expect(date.field).toBe("input[0]");
    expect(date.message).toContain("toISOString()");
    const lone = await failure(t.start("waiter", { note: "x\ud800" }));
    expect(SerializationError.is(lone)).toBe(true);
    expect(lone.field).toBe("input[0].note");
    expect((await t.runs.list({ workflow: "waiter" })).items).toEqual([]);

    const run = await t.start(waiter);
    await t.idle();
    const payload = await failure(t.resumeHook("bad-input-tok", { text: "\udc00" }));
    expect(payload.field).toBe("payload.text");
    expect((await failure(t.resumeHook("bad-input-tok", { due: new Date(0) }))).field).toBe("payload.due");
    await t.resumeHook("bad-input-tok", "fine");
    expect(await run.result()).toBe("fine");

    const stepErr = await failure((await t.start(dated)).result());
    expect(SerializationError.is(stepErr.cause)).toBe(true);
    expect(stepErr.cause.message).toContain('step "when" result.at');
  });

  it('durations such as "7x"', async () => {
    expect(() => parseDuration("7x", "timeout")).toThrow(InvalidDurationError);
    expect(() => parseDuration("", "timeout")).toThrow(InvalidDurationError);
    expect(() => parseDuration(-5, "timeout")).toThrow(InvalidDurationError);
    expect(parseDuration("1h30m", "t")).toBe(5_400_000);
    expect(parseDuration("7d", "t")).toBe(604_800_000);
    expect(parseDuration(" 90s ", "t")).toBe(90_000);
    expect(parseDuration("250ms", "t")).toBe(250);
    const wf = defineWorkflow("bad_duration", async () => {
      await sleep("7x");
    });
    t = await createTestLatch({ workflows: [wf] });
    const err = await failure((await t.start(wf)).result());
    expect(InvalidDurationError.is(err.cause)).toBe(true);
    expect(err.cause.message).toMatch(/^duration: "7x" is not a duration/);
    expect(() => step("x", () => 1, { timeout: "soon" })).toThrow(NotInWorkflowError);
  });

  it("tokens that are empty, too long or have control characters", async () => {
    t = await createTestLatch({ workflows: [waiter] });
    for (const bad of ["", "x".repeat(257), "a\nb", "tab\there"]) {
      const err = await failure(t.resumeHook(bad, 1));
      expect(InvalidTokenError.is(err)).toBe(true);
      expect(InvalidArgumentError.is(err)).toBe(true);
      expect(err.field).toBe("token");
    }
    const wf = defineWorkflow("bad_token", async () => createHook({ token: "bad\u0007bell" }));
    t = await createTestLatch({ workflows: [wf] });
    const err = await failure((await t.start(wf)).result());
    expect(InvalidTokenError.is(err.cause)).toBe(true);
  });

  it('ifMissing: "keep" is refused for generated tokens', async () => {
    t = await createTestLatch({ workflows: [waiter] });
    const token = "run_01M7ZWS5ZTVFGC445RDNMXQH5T:hook_01M7ZWS600DSAFYCC0AMDT3117";
    const err = await failure(t.resumeHook(token, 1, { ifMissing: "keep" }));
    expect(err.field).toBe("ifMissing");
  });

  it("a database path that cannot be written", async () => {
    // A folder that is really a file: unwritable for root too (permissions would not stop root).
    const blocker = join(dir, "blocker");
    writeFileSync(blocker, "");
    const target = join(blocker, "sub", "latch.db");
    const err = await failure(createClient({ store: `sqlite:${target}` }));
    expect(StoreUnavailableError.is(err)).toBe(true);
    expect(err.message).toContain("--db / LATCH_DATABASE_URL");
  });

  it("a file that is not a Latch database is refused and left untouched", async () => {
    const text = join(dir, "notes.txt");
    writeFileSync(text, "these are my notes, not a database\n".repeat(200));
    const e1 = await failure(createClient({ store: `sqlite:${text}` }));
    expect(NotALatchDatabaseError.is(e1)).toBe(true);
    expect(readFileSync(text, "utf8")).toContain("these are my notes");
    const other = join(dir, "app.db");
    const db = new Database(other);
    db.exec(
      "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users (name) VALUES ('ann')",
    );
    db.close();
    const e2 = await failure(createClient({ store: `sqlite:${other}` }));
    expect(NotALatchDatabaseError.is(e2)).toBe(true);
    expect(e2.code).toBe("NOT_A_LATCH_DATABASE");
    const check = new Database(other);
    expect(check.prepare("SELECT name FROM users").all()).toEqual([{ name: "ann" }]);
    check.close();
  });

  it("worker options a worker cannot run with, before any database is opened", async () => {
    const file = join(dir, "never-made.db");
    const make = (worker: unknown) =>
      failure(createLatch({ workflows: [waiter], store: `sqlite:${file}`, worker: worker as never }));
    expect((await make({ leaseMs: -5 })).field).toBe("worker.leaseMs");
    expect((await make({ recordDelayMs: "10" })).message).toMatch(
      /worker\.recordDelayMs: is "10"\. Pass a whole number of at least 0/,
    );
    expect((await make({ claimBatch: 2.5 })).field).toBe("worker.claimBatch");
    expect((await make({ leaseMS: 1000 })).message).toMatch(
      /worker\.leaseMS: is not a worker option\. Use one of .*leaseMs/,
    );
    expect((await make(7)).field).toBe("worker");
    expect(existsSync(file)).toBe(false);
  });

  it("an unknown URL scheme", async () => {
    const err = await failure(createClient({ store: "mysql://x" }));
    expect(err.field).toBe("store");
  });

  it("errors keep their class through is(), across subclasses", () => {
    const err = new InvalidDurationError("timeout", "7x");
    expect(InvalidDurationError.is(err)).toBe(true);
    expect(InvalidArgumentError.is(err)).toBe(true);
    expect(LatchError.is(err)).toBe(true);
    expect(InvalidTokenError.is(err)).toBe(false);
    expect(LatchError.is(new Error("x"))).toBe(false);
    expect(err.name).toBe("InvalidDurationError");
    const foreign = Object.assign(new Error("from another copy"), {
      [Symbol.for("latch.error.codes")]: ["INVALID_DURATION", "INVALID_ARGUMENT", "LATCH_ERROR"],
    });
    expect(InvalidArgumentError.is(foreign)).toBe(true);
  });
});
