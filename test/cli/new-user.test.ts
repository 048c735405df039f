import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_VALUE_DEPTH } from "../../src/replay/values.js";
import { createLatch, type Latch } from "../../src/runtime/engine.js";
import { silentLogger } from "../../src/runtime/logger.js";
import { echo, reviewFlow, webhookFlow } from "./fixtures/workflows.js";
import { cli, cliProcess, cliPty, NODE_ARGS, pendingToken, ROOT, tempDb } from "./helpers.js";

// What a new user meets first: a wrong --db, a pipe to head, Ctrl-C, the commands printed for them.
const db = tempDb();
const elsewhere = mkdtempSync(join(tmpdir(), "latch-cwd-"));
let latch: Latch;
beforeAll(async () => {
  latch = await createLatch({
    workflows: [reviewFlow, echo, webhookFlow],
    store: db.url,
    logger: silentLogger,
  });
});
afterAll(async () => {
  await latch.close();
  db.remove();
  rmSync(elsewhere, { recursive: true, force: true });
});
const latchCli = (...args: string[]) => cli(["--db", db.url, ...args]);

describe.concurrent("a database that is not there", { timeout: 120_000 }, () => {
  it("read commands refuse it with exit 7, naming the path and how to make it, and make nothing", async () => {
    const cases: [string[], RegExp][] = [
      [
        ["--db", "sqlite:/nonexistent/dir/x.db", "runs", "list"],
        /no Latch database at \/nonexistent\/dir\/x\.db/,
      ],
      [["--db", "./foo.db", "runs", "list"], /no Latch database at .*\/foo\.db/],
      [["hooks", "list"], /no Latch database at .*\/\.latch\/latch\.db/],
      [["--db", "./foo.db", "hooks", "resume", "tok", "--payload", "1"], /no Latch database/],
      [["--db", "./foo.db", "run", "some_flow"], /no Latch database/],
    ];
    const results = await Promise.all(
      cases.map(([args]) => cli(args, { LATCH_DATABASE_URL: "" }, elsewhere)),
    );
    results.forEach((r, i) => {
      expect({ args: cases[i]![0], code: r.code }).toEqual({ args: cases[i]![0], code: 7 });
      expect(r.stderr).toMatch(cases[i]![1]);
      expect(r.stderr).toMatch(/worker <file>`.*--create/);
      expect(r.stdout).not.toContain("No runs.");
    });
    expect(existsSync("/nonexistent")).toBe(false);
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  it("a --db that is neither a URL nor a path is a usage error naming the accepted forms", async () => {
    const r = await cli(["--db", "not a url", "runs", "list"], {}, elsewhere);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /"not a url" is not a database URL or a file path\. Use sqlite:<path>.*postgres:\/\//,
    );
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  it("serve, a service that may start before its workers, makes it and says so", async () => {
    const file = join(elsewhere, "..", `served-${process.pid}.db`);
    const server = cliProcess(["serve", "--db", file, "--port", "0", "--api-key", "k".repeat(32)]);
    try {
      await server.waitFor(/Latch API on http:\/\/127\.0\.0\.1:\d+/);
      expect(server.errors()).toContain(
        `warning: there was no database at ${file}; a new, empty one was made`,
      );
      expect(existsSync(file)).toBe(true);
    } finally {
      server.child.kill("SIGTERM");
      await server.exited;
      rmSync(file, { force: true });
    }
  });

  it("--create makes it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "latch-create-"));
    try {
      const r = await cli(["--db", "./made.db", "--create", "runs", "list"], {}, dir);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("No runs.");
      expect(existsSync(join(dir, "made.db"))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.concurrent("output a person or a pipe reads", { timeout: 120_000 }, () => {
  it("`… | head -1` exits quietly when the reader goes away", async () => {
    const run = await latch.start(echo, "x".repeat(400_000));
    await latch.waitForRun(run.id);
    const child = spawn(process.execPath, [...NODE_ARGS, "--db", db.url, "runs", "show", run.id, "--json"], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    // Like head -1: read the first line, then close the pipe.
    await new Promise<void>((resolve) => {
      child.stdout.once("data", () => {
        child.stdout.destroy();
        resolve();
      });
    });
    const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
    expect(stderr).not.toMatch(/EPIPE|Error|at /);
    expect(code).toBe(0);
  });

  it("printed commands run from here: `npm run latch --` inside the repository", async () => {
    const r = await latchCli("run", "cli_echo", "--input", '"hint"');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Follow it: npm run latch -- runs show run_\w+ --db sqlite:\S+/);
    const missing = await latchCli("runs", "show", "run_nope");
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain("`npm run latch -- runs list`");
  });

  it("a webhook run suggests an HTTP request to its URL, not `hooks resume`", async () => {
    const run = await latch.start(webhookFlow);
    const token = await pendingToken(latch, run.id);
    const r = await latchCli("runs", "show", run.id);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`/webhooks/${token}`);
    expect(r.stdout).toMatch(/cli_inbound\s+curl -sS -X POST/);
    expect(r.stdout).not.toContain("hooks resume");
    const info = await latchCli("hooks", "info", token);
    expect(info.stdout).toMatch(/curl -sS -X POST '?http\S+\/webhooks\/whk_/);
    await latch.cancel(run.id);
  });

  it(`a payload nested deeper than ${MAX_VALUE_DEPTH} levels is a usage error, no stack trace`, async () => {
    const run = await latch.start(reviewFlow, "o-deep");
    const token = await pendingToken(latch, run.id);
    const deep = `${"[".repeat(6000)}${"]".repeat(6000)}`;
    const r = await latchCli("hooks", "resume", token, "--payload", deep);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`payload: is nested more than ${MAX_VALUE_DEPTH} levels deep`));
    expect(r.stderr).not.toMatch(/RangeError|\n\s+at /);
    await latch.cancel(run.id);
  });
});

describe("Ctrl-C while following a run", { timeout: 120_000 }, () => {
  it("at a terminal: exits 130 and says the run goes on, with its id and how to follow it", async () => {
    const r = await cliPty(
      [{ expect: "suspended on hook cli_review", send: "\x03" }],
      ["--db", db.url, "run", "cli_review_flow", "--input", '"o-ctrl-c"', "--wait"],
    );
    expect(r.failed).toBeNull();
    expect(r.exitCode).toBe(130);
    const [, runId] = r.output.match(/(run_\w+): suspended on hook/) ?? [];
    expect(runId).toBeDefined();
    expect(r.output).toMatch(/was not cancelled and goes on/);
    expect(r.output).toContain(`npm run latch -- runs show ${runId}`);
    expect(r.output).not.toMatch(/Canceled/);
    expect((await latch.getRun(runId!))?.status).toBe("suspended");
    await latch.cancel(runId!);
  });

  it("without a terminal (SIGINT to the process): the same, exit 130", async () => {
    const child = spawn(
      process.execPath,
      [...NODE_ARGS, "--db", db.url, "run", "cli_review_flow", "--input", '"o-sigint"', "--wait"],
      { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
    for (let i = 0; i < 1200 && !/suspended on hook/.test(stderr); i++)
      await new Promise((r) => setTimeout(r, 25));
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    const runId = stderr.match(/(run_\w+): suspended/)?.[1];
    expect(stderr).toMatch(new RegExp(`interrupted: run ${runId} was not cancelled and goes on`));
    expect((await latch.getRun(runId!))?.status).toBe("suspended");
    await latch.cancel(runId!);
  });
});
