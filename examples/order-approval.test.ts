import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it, vi } from "vitest";
import { main } from "./order-approval.js";

it("the demo suspends on its hook, resumes and prints the result and the event log", async () => {
  const dir = mkdtempSync(join(tmpdir(), "latch-demo-"));
  const lines: string[] = [];
  const spy = vi.spyOn(console, "log").mockImplementation((...args) => void lines.push(args.join(" ")));
  try {
    const result = await main(`sqlite:${join(dir, "demo.db")}`);
    expect(result).toMatchObject({ orderId: "order-1", status: "fulfilled", approvedBy: "ann@example.com" });
    expect(lines.some((l) => l.startsWith('status: suspended on hook "manager_approval"'))).toBe(true);
    expect(lines.some((l) => /hook\.received/.test(l))).toBe(true);
    expect(lines.some((l) => /run\.succeeded/.test(l))).toBe(true);
  } finally {
    spy.mockRestore();
    rmSync(dir, { recursive: true, force: true });
  }
});
