import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createClient } from "../../src/client/client.js";
import {
  createWebhook,
  defineHook,
  defineWorkflow,
  type Latch,
  PayloadValidationError,
  step,
} from "../../src/index.js";
import { createLatch } from "../../src/runtime/engine.js";
import { silentLogger } from "../../src/runtime/logger.js";
import { failure } from "../support/failure.js";

// Hook schemas and the webhook URL belong to each latch or client, never to the process: two of
// them in one process keep their own, and a latch knows a definition before any run created it.

const review = defineHook(
  "ctx_review",
  z.object({ reviewer: z.string().refine((s) => s.includes("@"), "must be an e-mail address") }),
);
const reviewed = defineWorkflow("ctx_reviewed", async () => (await review.create()).reviewer);
const published = defineWorkflow("ctx_published", async () => {
  const hook = createWebhook();
  return step("publish", () => hook.url);
});

const dir = mkdtempSync(join(tmpdir(), "latch-context-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});
const keep = <T extends { close(): Promise<void> }>(c: T): T => {
  open.push(c);
  return c;
};
const db = (name: string) => `sqlite:${join(dir, `${name}.db`)}`;

async function pendingToken(latch: Latch, runId: string): Promise<string> {
  for (let i = 0; i < 500; i++) {
    await latch.idle();
    const [hook] = (await latch.hooks.list({ status: "pending", runId })).items;
    if (hook) return hook.token;
  }
  throw new Error(`run ${runId} has no pending hook`);
}

describe("hook definitions", () => {
  it("are checked by a latch given them before any of its runs created the hook (after a restart)", async () => {
    const url = db("restart");
    const before = await createLatch({ workflows: [reviewed], store: url, logger: silentLogger });
    const run = await before.start(reviewed);
    const token = await pendingToken(before, run.id);
    await before.close();

    // A new process: its worker has replayed nothing yet.
    const after = keep(
      await createLatch({
        workflows: [reviewed],
        hookDefinitions: [review],
        store: url,
        logger: silentLogger,
        worker: false,
      }),
    );
    const err = await failure(after.resumeHook(token, { reviewer: "bob" }));
    expect(PayloadValidationError.is(err)).toBe(true);
    expect(err.recorded).toBe(false);
    expect(err.issues).toEqual([{ path: "reviewer", message: "must be an e-mail address" }]);
    expect(await after.store.readInbox(run.id)).toEqual([]);
  });

  it("are known to a latch whose run created the hook, and to no other client in the process", async () => {
    const url = db("two-clients");
    const latch = keep(await createLatch({ workflows: [reviewed], store: url, logger: silentLogger }));
    const run = await latch.start(reviewed);
    const token = await pendingToken(latch, run.id);
    const early = await failure(latch.resumeHook(token, { reviewer: "bob" }));
    expect(PayloadValidationError.is(early) && early.recorded).toBe(false);

    // A client given the definition refuses it too; one without it only has the stored JSON
    // Schema: the payload is recorded and the worker turns it down (hook.rejected).
    const informed = keep(await createClient({ store: url, hookDefinitions: [review] }));
    expect(PayloadValidationError.is(await failure(informed.resumeHook(token, { reviewer: "eve" })))).toBe(
      true,
    );
    const outsider = keep(await createClient({ store: url }));
    await outsider.resumeHook(token, { reviewer: "mallory" });
    await latch.resumeHook(token, { reviewer: "ann@x.org" });
    expect(await latch.handle(run.id).result()).toBe("ann@x.org");
    const types = (await latch.events(run.id, { typePrefix: "hook" })).map((e) => e.type);
    expect(types).toEqual(["hook.created", "hook.rejected", "hook.received", "hook.disposed"]);
  });

  it("must be what defineHook returns", async () => {
    const err = await failure(
      createClient({ store: "sqlite::memory:", hookDefinitions: [{ name: "x" } as never] }),
    );
    expect(err.field).toBe("hookDefinitions[0]");
  });
});

describe("the public URL", () => {
  it("is each latch's own: two latches in one process give out their own webhook URLs", async () => {
    const urlOf = async (latch: Latch) => {
      const run = await latch.start(published);
      return latch.handle<string>(run.id).result();
    };
    const serving = async (name: string, publicUrl: string) =>
      keep(await createLatch({ workflows: [published], store: db(name), logger: silentLogger, publicUrl }));
    const a = await serving("url-a", "https://a.example/hooks/");
    const b = await serving("url-b", "https://b.example");
    expect(await urlOf(a)).toMatch(/^https:\/\/a\.example\/hooks\/webhooks\/whk_/);
    expect(await urlOf(b)).toMatch(/^https:\/\/b\.example\/webhooks\/whk_/);
    expect(a.webhookUrl("whk_x")).toBe("https://a.example/hooks/webhooks/whk_x");
  });

  it("is refused when it is not an http(s) URL, from the option or LATCH_PUBLIC_URL", async () => {
    const bad = await failure(
      createLatch({ workflows: [published], store: "sqlite::memory:", publicUrl: "hooks.example" }),
    );
    expect(bad.field).toBe("publicUrl");
    process.env.LATCH_PUBLIC_URL = "not a url";
    try {
      const fromEnv = await failure(createLatch({ workflows: [published], store: "sqlite::memory:" }));
      expect(fromEnv.field).toBe("LATCH_PUBLIC_URL");
      // A client only shows URLs: a read must not fail on it.
      const client = keep(await createClient({ store: "sqlite::memory:" }));
      expect((await client.runs.list()).items).toEqual([]);
    } finally {
      delete process.env.LATCH_PUBLIC_URL;
    }
  });
});
