import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it, vi } from "vitest";
import { main } from "./acknowledged-resume.js";

it("a payload the worker's schema refuses is reported to the sender and the run waits for a good one", async () => {
  const dir = mkdtempSync(join(tmpdir(), "latch-ack-"));
  const lines: string[] = [];
  const spy = vi.spyOn(console, "log").mockImplementation((...args) => void lines.push(args.join(" ")));
  try {
    const result = await main(`sqlite:${join(dir, "latch.db")}`);
    expect(result).toEqual({ version: "1.4.0", signedOffBy: "ann@example.com" });
    expect(lines).toContain("rejected by the worker: reviewer: must be an @example.com address");
    expect(lines).toContain("still suspended; hook pending");
    expect(lines).toContain("delivered: true");
    expect(lines.filter((l) => l.startsWith("  hook."))).toEqual([
      "  hook.created",
      "  hook.rejected",
      "  hook.received",
      "  hook.disposed",
    ]);
  } finally {
    spy.mockRestore();
    rmSync(dir, { recursive: true, force: true });
  }
});
