import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLatch, type Latch } from "../../src/runtime/engine.js";
import { silentLogger } from "../../src/runtime/logger.js";
import { signOffFlow } from "./fixtures/refined.js";
import { cli, cliProcess, pendingToken, tempDb } from "./helpers.js";

// The worker (with the workflow code) runs here; the CLI and the HTTP server are other processes
// that know only the stored JSON Schema, as they do for users.
const db = tempDb();
let latch: Latch;
beforeAll(async () => {
  latch = await createLatch({ workflows: [signOffFlow], store: db.url, logger: silentLogger });
});
afterAll(async () => {
  await latch.close();
  db.remove();
});
const latchCli = (...args: string[]) => cli(["--db", db.url, ...args]);

describe("a payload the hook's own schema refuses, sent from outside", { timeout: 120_000 }, () => {
  it("CLI: --wait reports the worker's issues (exit 5); the run waits on; hooks info shows it; a good payload finishes it", async () => {
    const run = await latch.start(signOffFlow);
    const token = await pendingToken(latch, run.id);

    const bad = await latchCli("hooks", "resume", token, "--payload", '{"reviewer":"bob"}', "--wait", "20s");
    expect(bad.code).toBe(5);
    expect(bad.stderr).toMatch(/reviewer: must be an e-mail address/);
    expect(bad.stderr).toMatch(/hook\.rejected/);
    expect(bad.stderr).not.toMatch(/nothing was recorded/);
    expect(await run.status()).toBe("suspended");
    expect((await latch.hooks.get(token))?.status).toBe("pending");

    // Without --wait the CLI cannot know: it says recorded, and the worker rejects it later.
    const blind = await latchCli("hooks", "resume", token, "--payload", '{"reviewer":"eve"}');
    expect(blind.code).toBe(0);

    const info = await latchCli("hooks", "info", token);
    expect(info.code).toBe(0);
    expect(info.stdout).toMatch(/Rejected payloads/);
    expect(info.stdout).toMatch(/\{"reviewer":"bob"\}/);
    expect(info.stdout).toMatch(/reviewer: must be an e-mail address/);

    const logs = await latchCli("runs", "logs", run.id, "--type", "hook", "--json");
    expect(logs.code).toBe(0);
    expect(logs.stdout).toMatch(/hook\.rejected/);

    const good = await latchCli("hooks", "resume", token, "--payload", '{"reviewer":"ann@x.org"}', "--wait");
    expect(good.stderr).toBe("");
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/delivered/);
    expect(await run.result()).toBe("signed by ann@x.org");
    const types = (await run.events({ typePrefix: "hook" })).map((e) => e.type);
    expect(types).toEqual([
      "hook.created",
      "hook.rejected",
      "hook.rejected",
      "hook.received",
      "hook.disposed",
    ]);
  });

  it("HTTP: ?wait=delivered answers 422 with recorded: true, then 200 with delivered: true", async () => {
    const run = await latch.start(signOffFlow);
    const token = await pendingToken(latch, run.id);
    const server = cliProcess(["serve", "--db", db.url, "--port", "0", "--api-key", "k-test"]);
    try {
      const [, url] = await server.waitFor(/Latch API on (http:\/\/127\.0\.0\.1:\d+)/);
      const resume = (payload: unknown, query: string) =>
        fetch(`${url}/api/hooks/${encodeURIComponent(token)}/resume${query}`, {
          method: "POST",
          headers: { authorization: "Bearer k-test", "content-type": "application/json" },
          body: JSON.stringify({ payload }),
        });
      const bad = await resume({ reviewer: "bob" }, "?wait=delivered&waitTimeout=20s");
      expect(bad.status).toBe(422);
      expect(await bad.json()).toMatchObject({
        code: "PAYLOAD_INVALID",
        recorded: true,
        issues: [{ path: "reviewer", message: "must be an e-mail address" }],
      });
      const wrong = await resume({ reviewer: "x@y" }, "?wait=later");
      expect(wrong.status).toBe(400);
      expect(await wrong.json()).toMatchObject({ field: "wait" });
      const good = await resume({ reviewer: "ann@x.org" }, "?wait=delivered");
      expect(good.status).toBe(200);
      expect(await good.json()).toMatchObject({ runId: run.id, delivered: true });
      expect(await run.result()).toBe("signed by ann@x.org");
    } finally {
      server.child.kill("SIGTERM");
      await server.exited;
    }
  });
});
