import { cpSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { z } from "zod";
import { PayloadValidationError } from "../../src/errors.js";
import { createLatch } from "../../src/runtime/engine.js";
import { silentLogger } from "../../src/runtime/logger.js";
import { failure } from "../support/failure.js";
import { ROOT } from "./helpers.js";

/**
 * `latch worker file.ts` runs the engine from the CLI's copy of latch, while the file may import
 * another copy (this repo's src/ under a built dist/ CLI, or two installs). The run scope lives on
 * globalThis[Symbol.for("latch.scope")], so durable calls from either copy find the run — and,
 * through it, the settings of the engine running it.
 */
const copy = mkdtempSync(join(tmpdir(), "latch-copy-"));
/** The other copy's public barrel, loaded at run time. */
let other: any;
beforeAll(async () => {
  cpSync(join(ROOT, "src"), join(copy, "src"), { recursive: true });
  symlinkSync(join(ROOT, "node_modules"), join(copy, "node_modules"));
  other = await import(join(copy, "src/index.ts"));
});
afterAll(() => rmSync(copy, { recursive: true, force: true }));

it("a workflow defined with another copy of latch runs on this copy's engine", async () => {
  const wf = other.defineWorkflow("two_copies", async () => other.step("s", () => 42));
  const latch = await createLatch({ workflows: [wf], store: "sqlite::memory:", logger: silentLogger });
  try {
    const run = await latch.start(wf);
    const info = await latch.waitForRun(run.id);
    expect(info.error?.name).toBeUndefined();
    expect(info.output).toBe(42);
  } finally {
    await latch.close();
  }
});

it("its webhooks get this engine's public URL, and its hook definitions check this engine's resumes", async () => {
  const signOff = other.defineHook(
    "two_copies_sign_off",
    z.object({ by: z.string().refine((s: string) => s.includes("@"), "must be an e-mail address") }),
  );
  const wf = other.defineWorkflow("two_copies_hooks", async () => {
    const hook = other.createWebhook();
    await other.step("publish", () => hook.url);
    return (await signOff.create()).by;
  });
  const latch = await createLatch({
    workflows: [wf],
    store: "sqlite::memory:",
    logger: silentLogger,
    publicUrl: "https://copies.example",
  });
  try {
    const run = await latch.start(wf);
    let token: string | undefined;
    for (let i = 0; i < 500 && !token; i++) {
      await latch.idle();
      token = (await latch.hooks.list({ status: "pending", runId: run.id, name: signOff.name })).items[0]
        ?.token;
    }
    const [published] = await latch.events(run.id, { typePrefix: "step.completed" });
    expect((published as { result: string }).result).toMatch(/^https:\/\/copies\.example\/webhooks\/whk_/);
    const refused = await failure(latch.resumeHook(token!, { by: "not an address" }));
    expect(PayloadValidationError.is(refused) && refused.recorded).toBe(false);
    await latch.resumeHook(token!, { by: "ann@example.com" });
    expect(await latch.handle(run.id).result()).toBe("ann@example.com");
  } finally {
    await latch.close();
  }
});
