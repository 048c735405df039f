import { describe, expect, it } from "vitest";
import { table } from "./output.js";

describe("table", () => {
  const rows = [
    ["1", "hook.received", `payload=${JSON.stringify({ comments: "a long, long note ".repeat(6) })}`],
  ];

  it("never cuts a cell: without a width the last one runs on", () => {
    const out = table(["SEQ", "TYPE", "DETAIL"], rows);
    expect(out.split("\n")[1]).toBe(`1    hook.received  ${rows[0]![2]}`);
  });

  it("with a terminal's width, wraps the last cell under itself, losing nothing", () => {
    const out = table(["SEQ", "TYPE", "DETAIL"], rows, { width: 60 });
    const lines = out.split("\n").slice(1);
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(60);
    for (const line of lines.slice(1)) expect(line.startsWith(" ".repeat(19))).toBe(true);
    const joined = lines.map((l) => l.slice(19)).join("");
    expect(joined.replaceAll(" ", "")).toBe(rows[0]![2]!.replaceAll(" ", ""));
  });
});
