import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLatch, type Latch } from "../../src/runtime/engine.js";
import { silentLogger } from "../../src/runtime/logger.js";
import { broken, echo, reviewFlow, webhookFlow } from "./fixtures/workflows.js";
import { cli, pendingToken, tempDb } from "./helpers.js";

// One real SQLite file shared by the CLI subprocesses and a worker in this test process.
const db = tempDb();
let latch: Latch;
beforeAll(async () => {
  latch = await createLatch({
    workflows: [reviewFlow, echo, broken, webhookFlow],
    store: db.url,
    logger: silentLogger,
  });
});
afterAll(async () => {
  await latch.close();
  db.remove();
});
const latchCli = (...args: string[]) => cli(["--db", db.url, ...args]);
const good = { approved: true, reviewer: "ann", level: "high" };

// Subprocesses on a busy 2-core machine take seconds each: give them room.
describe.concurrent("commands against a real database", { timeout: 120_000 }, () => {
  it("runs a workflow and waits for its result (--json)", async () => {
    const r = await latchCli("run", "cli_echo", "--input", '{"a":1}', "--wait", "--json");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      workflow: "cli_echo",
      status: "succeeded",
      output: { value: { a: 1 } },
    });
    const several = await latchCli("run", "cli_echo", "--args", '["x", 2]', "--wait");
    expect(several.code).toBe(0);
    expect(several.stdout).toMatch(/succeeded: \{"value":"x","extra":2\}/);
  });

  it("exits 8 when the awaited run fails, naming the error", async () => {
    const r = await latchCli("run", "cli_broken", "--wait");
    expect(r.code).toBe(8);
    expect(r.stderr).toMatch(/ended failed: FatalError: boom on purpose/);
  });

  it("lists, inspects and resumes a hook; a second resume is refused as gone", async () => {
    const started = await latchCli("run", "cli_review_flow", "--input", '"o-1"', "--json");
    expect(started.code).toBe(0);
    const runId = JSON.parse(started.stdout).id as string;
    const token = await pendingToken(latch, runId);

    // Independent reads in parallel: each is its own process.
    const [list, table, info, invalid] = await Promise.all([
      latchCli("hooks", "list", "--status", "pending", "--run", runId, "--json"),
      latchCli("hooks", "list", "--status", "pending"),
      latchCli("hooks", "info", token),
      latchCli("hooks", "resume", token, "--payload", '{"approved":"yes","level":"mid"}'),
    ]);
    expect(JSON.parse(list.stdout).items.map((h: { token: string }) => h.token)).toEqual([token]);
    expect(table.stdout).toMatch(/^TOKEN\s+NAME\s+STATUS\s+RUN/);
    expect(table.stdout).toContain(token);
    expect(info.stdout).toMatch(/level\s+one of "low" \| "high"\s+yes/);
    expect(info.stdout).toMatch(/comments\s+string\s+no/);
    expect(info.stdout).toContain(`npm run latch -- hooks resume ${token}`);
    expect(invalid.code).toBe(5);
    expect(invalid.stderr).toMatch(/- approved: must be boolean/);
    expect(invalid.stderr).toMatch(/- reviewer: is required/);

    const file = join(db.dir, "payload.json");
    writeFileSync(file, JSON.stringify(good));
    const ok = await latchCli("hooks", "resume", token, "--payload-file", file);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/Hook resumed; run run_\w+ continues/);
    const done = await latch.waitForRun(runId);
    expect(done.output).toEqual({ orderId: "o-1", ...good });

    const [again, show, logs, runs] = await Promise.all([
      latchCli("hooks", "resume", token, "--payload", JSON.stringify(good)),
      latchCli("runs", "show", runId),
      latchCli("runs", "logs", runId, "--type", "hook", "--json"),
      latchCli("runs", "list", "--workflow", "cli_review_flow", "--status", "succeeded"),
    ]);
    expect(again.code).toBe(4);
    expect(again.stderr).toMatch(/disposed/);
    expect(show.stdout).toMatch(/status\s+succeeded/);
    const events = JSON.parse(logs.stdout).items as { type: string; payload?: unknown }[];
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining(["hook.created", "hook.received", "hook.disposed"]),
    );
    expect(events.find((e) => e.type === "hook.received")?.payload).toEqual(good);
    expect(runs.stdout).toContain(runId);
  });

  it("runs logs shows a hook.received payload whole; --json pages as the HTTP events route does", async () => {
    const run = await latch.start(reviewFlow, "o-logs");
    const token = await pendingToken(latch, run.id);
    const payload = { ...good, comments: "needs a second look, ".repeat(12).trim() };
    await latch.resumeHook(token, payload);
    await latch.waitForRun(run.id);
    const logs = (...args: string[]) => latchCli("runs", "logs", run.id, ...args);
    const [hooks, all, first, more] = await Promise.all([
      logs("--type", "hook"),
      logs("--json"),
      logs("--json", "--limit", "2"),
      logs("--limit", "2"),
    ]);
    // The payload first and whole, never cut, however long.
    const received = hooks.stdout.split("\n").find((line) => line.includes("hook.received"));
    expect(received).toMatch(/hook\.received\s+payload=/);
    expect(received).toContain(`payload=${JSON.stringify(payload)}`);
    // One shape with GET /api/runs/{id}/events: { items, nextCursor? }, values decoded.
    const page = JSON.parse(all.stdout);
    expect(Object.keys(page)).toEqual(["items"]);
    expect(page.items.find((e: { type: string }) => e.type === "hook.received").payload).toEqual(payload);
    expect(page.items[0]).toMatchObject({ seq: 1, type: "run.created", input: ["o-logs"] });
    const head = JSON.parse(first.stdout);
    expect(head.items.map((e: { seq: number }) => e.seq)).toEqual([1, 2]);
    expect(head.nextCursor).toBe("2");
    expect(more.stdout).toMatch(/More: npm run latch -- runs logs run_\w+ --limit 2 --cursor 2 --db \S+/);
    const rest = JSON.parse((await logs("--json", "--cursor", head.nextCursor)).stdout);
    expect(rest.items.map((e: { seq: number }) => e.seq)).toEqual(
      page.items.slice(2).map((e: { seq: number }) => e.seq),
    );
    expect(rest.nextCursor).toBeUndefined();
  });

  it("cancels a waiting run; its hook is then gone", async () => {
    const run = await latch.start(reviewFlow, "o-2");
    const token = await pendingToken(latch, run.id);
    const r = await latchCli("runs", "cancel", run.id);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/is cancelled/);
    const late = await latchCli("hooks", "resume", token, "--payload", JSON.stringify(good), "--json");
    expect(late.code).toBe(4);
    expect(JSON.parse(late.stderr).error).toMatchObject({ code: "HOOK_DISPOSED", exitCode: 4 });
    expect((await latchCli("runs", "cancel", run.id)).stdout).toMatch(/already ended \(cancelled\)/);
  });

  it("refuses an idempotency key sent again with another payload (exit 6); the first payload stands", async () => {
    const run = await latch.start(reviewFlow, "o-idem");
    const token = await pendingToken(latch, run.id);
    await latch.resumeHook(token, good, { idempotencyKey: "mail-1" });
    const other = JSON.stringify({ ...good, reviewer: "eve" });
    const r = await latchCli(
      "hooks",
      "resume",
      token,
      "--payload",
      other,
      "--idempotency-key",
      "mail-1",
      "--json",
    );
    expect(r.code).toBe(6);
    expect(JSON.parse(r.stderr).error).toMatchObject({ code: "IDEMPOTENCY_CONFLICT", exitCode: 6 });
    expect((await latch.waitForRun(run.id)).output).toEqual({ orderId: "o-idem", ...good });
  });

  it("refuses to resume a webhook from the command line (exit 6): its payloads are HTTP requests", async () => {
    const run = await latch.start(webhookFlow);
    const token = await pendingToken(latch, run.id);
    const r = await latchCli("hooks", "resume", token, "--payload", "{}");
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(
      /is a webhook: send it an HTTP request instead, such as curl .*\/webhooks\/whk_/,
    );
    expect((await latch.hooks.get(token))?.payloads).toBe(0);
  });

  it("answers unknown ids, tokens and workflows with exit 3", async () => {
    const results = await Promise.all([
      latchCli("runs", "show", "run_nope"),
      latchCli("runs", "logs", "run_nope"),
      latchCli("runs", "cancel", "run_nope"),
      latchCli("hooks", "info", "nope"),
      latchCli("hooks", "resume", "nope", "--payload", "{}"),
      latchCli("run", "no_such_workflow"),
    ]);
    for (const r of results) expect(r.code).toBe(3);
    expect(results[0]!.stderr).toMatch(/runId: no run has the id "run_nope"/);
    expect(results[4]!.stderr).toMatch(/token: no hook has the token "nope"/);
    expect(results[5]!.stderr).toMatch(/no workflow named "no_such_workflow".*cli_echo/);
  });

  it("answers bad command lines with exit 2 and a message naming the fix", async () => {
    const cases: [string[], RegExp][] = [
      [["nope"], /unknown command 'nope'/],
      [["runs", "list", "--bogus"], /unknown option '--bogus'/],
      [["run"], /missing required argument 'workflow'/],
      [["run", "cli_echo", "--input", "{bad"], /--input: is not valid JSON .*Quote it/],
      [["run", "cli_echo", "--args", '{"a":1}'], /--args: is not a JSON array/],
      [["run", "cli_echo", "--input", "1", "--args", "[]"], /not both|was given with --input/],
      [["runs", "list", "--limit", "abc"], /--limit: "abc" is not a whole number/],
      [["runs", "list", "--status", "done"], /--status: "done" is not a known value/],
      [["hooks", "list", "--status", "open"], /--status: "open" is not a known value/],
      [["hooks", "list", "--cursor", "%%"], /cursor: is not a cursor/],
      [["hooks", "resume", "t", "--payload", "{", "--json"], /is not valid JSON/],
      [["hooks", "resume", "t", "--payload", "{}", "--payload-file", "x.json"], /Pass one of them/],
      [
        ["hooks", "resume", "t", "--payload-file", "/nonexistent.json"],
        /cannot read \/nonexistent.json \(ENOENT\)/,
      ],
      [["hooks", "resume"], /token: is missing.*needs a terminal/],
      [["hooks", "resume", "some-token"], /--payload: is missing.*needs a terminal/],
      [["hooks", "info", "x".repeat(300)], /token: is 300 characters long/],
      [["worker", "/nonexistent/flows.ts"], /does not exist/],
      [["worker", "test/cli/helpers.ts"], /exports no workflow.*defineWorkflow/],
      [["serve"], /--api-key: is missing/],
    ];
    const results = await Promise.all(cases.map(([args]) => latchCli(...args)));
    results.forEach((r, i) => {
      expect({ args: cases[i]![0], code: r.code }).toEqual({ args: cases[i]![0], code: 2 });
      expect(r.stderr).toMatch(cases[i]![1]);
    });
  });

  it("refuses a file that is not a Latch database with exit 7", async () => {
    const notDb = join(db.dir, "notes.txt");
    writeFileSync(notDb, "these are not the tables you are looking for ".repeat(100));
    const r = await cli(["--db", `sqlite:${notDb}`, "runs", "list"]);
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(/is not a SQLite database/);
  });

  it("takes the database from LATCH_DATABASE_URL", async () => {
    const r = await cli(["runs", "list", "--workflow", "cli_echo", "--json"], { LATCH_DATABASE_URL: db.url });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).items.length).toBeGreaterThan(0);
  });
});
