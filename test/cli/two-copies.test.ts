import { cpSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { createLatch } from "../../src/runtime/engine.js";
import { silentLogger } from "../../src/runtime/logger.js";
import { ROOT } from "./helpers.js";

/**
 * `latch worker file.ts` runs the engine from the CLI's copy of latch, while the file may import
 * another copy (this repo's src/ under a built dist/ CLI, or two installs). The run scope lives on
 * globalThis[Symbol.for("latch.scope")], so durable calls from either copy find the run.
 */
const copy = mkdtempSync(join(tmpdir(), "latch-copy-"));
afterAll(() => rmSync(copy, { recursive: true, force: true }));

it("a workflow defined with another copy of latch runs on this copy's engine", async () => {
  cpSync(join(ROOT, "src"), join(copy, "src"), { recursive: true });
  symlinkSync(join(ROOT, "node_modules"), join(copy, "node_modules"));
  const other = await import(join(copy, "src/index.ts"));
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
