import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLatch, type Latch } from "../../src/runtime/engine.js";
import { silentLogger } from "../../src/runtime/logger.js";
import { echo, reviewFlow } from "./fixtures/workflows.js";
import { cliPty, pendingToken, tempDb } from "./helpers.js";

const db = tempDb();
let latch: Latch;
beforeAll(async () => {
  latch = await createLatch({ workflows: [reviewFlow, echo], store: db.url, logger: silentLogger });
});
afterAll(async () => {
  await latch.close();
  db.remove();
});

const DOWN = "\x1b[B";
const RIGHT = "\x1b[C";
const BACKSPACE = "\x7f";

describe("interactive terminal (pseudo-terminal)", { timeout: 120_000 }, () => {
  it("picks the pending hook and asks field by field, re-asking invalid answers", async () => {
    const run = await latch.start(reviewFlow, "o-pty");
    const token = await pendingToken(latch, run.id);
    const r = await cliPty(
      [
        { expect: "Select a pending hook to resume", send: "\r" },
        { expect: "approved \\(boolean\\)", send: `${RIGHT}\r` },
        { expect: "reviewer \\(string\\)", send: "a\r" },
        { expect: "must NOT have fewer than 2 characters", send: "nn\r" },
        { expect: 'level \\(one of "low" \\| "high"\\)', send: `${DOWN}\r` },
        { expect: "amount \\(integer, optional\\)", send: "abc\r" },
        { expect: "enter a whole number", send: `${BACKSPACE.repeat(3)}0\r` },
        { expect: "must be >= 1", send: `${BACKSPACE}5\r` },
        { expect: "urgent \\(boolean, optional\\)", send: `${DOWN}${DOWN}\r` },
        { expect: "comments \\(string, optional\\)", send: "\r" },
        { expect: "Hook resumed", send: "" },
      ],
      ["--db", db.url, "hooks", "resume"],
    );
    expect(r.failed, r.output).toBeNull();
    expect(r.exitCode).toBe(0);
    expect(r.output).toContain(token);
    const done = await latch.waitForRun(run.id);
    expect(done.output).toEqual({
      orderId: "o-pty",
      approved: false,
      reviewer: "ann",
      level: "high",
      amount: 5,
    });
  });

  it("sends nothing when the prompt is cancelled (Ctrl-C → exit 130)", async () => {
    const run = await latch.start(reviewFlow, "o-cancel");
    const token = await pendingToken(latch, run.id);
    const r = await cliPty(
      [
        { expect: "approved \\(boolean\\)", send: "\r" },
        { expect: "reviewer \\(string\\)", send: "\x03" },
      ],
      ["--db", db.url, "hooks", "resume", token],
    );
    expect(r.exitCode).toBe(130);
    expect(r.output).toMatch(/cancelled; nothing was sent/);
    expect((await latch.hooks.get(token))?.payloads).toBe(0);
  });

  it("follows a run with a spinner at a terminal", async () => {
    const r = await cliPty(
      [{ expect: "succeeded", send: "" }],
      ["--db", db.url, "run", "cli_echo", "--input", '"pty"', "--wait"],
    );
    expect(r.exitCode).toBe(0);
    expect(r.output).toMatch(/Run run_\w+ succeeded: \{"value":"pty"\}/);
  });
});
