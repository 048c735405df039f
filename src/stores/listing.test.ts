import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../errors.js";
import { countStatement, POSTGRES_PLACEHOLDER, pageStatement, SQLITE_PLACEHOLDER } from "./listing.js";
import { encodeCursor } from "./paging.js";

const squash = (text: string) => text.replace(/\s+/g, " ").trim();

describe("listing statements", () => {
  it("filter runs by statuses and workflow, in each store's parameter syntax", () => {
    const filter = { status: ["running" as const, "suspended" as const], workflow: "wf" };
    const pg = countStatement({ kind: "runs", table: `"s".runs`, filter }, POSTGRES_PLACEHOLDER);
    expect(squash(pg.text)).toBe(
      `SELECT status, count(*) AS n FROM "s".runs WHERE status IN ($1, $2) AND workflow = $3 GROUP BY status`,
    );
    expect(pg.args).toEqual(["running", "suspended", "wf"]);
    const lite = countStatement(
      { kind: "runs", table: "runs", filter: { status: "failed" } },
      SQLITE_PLACEHOLDER,
    );
    expect(squash(lite.text)).toBe(
      "SELECT status, count(*) AS n FROM runs WHERE status IN (?) GROUP BY status",
    );
    expect(lite.args).toEqual(["failed"]);
  });

  it("filter hooks by status, run and name; no filter is no WHERE", () => {
    const s = countStatement(
      { kind: "hooks", table: "hooks", filter: { status: "pending", runId: "run_1", name: "approval" } },
      SQLITE_PLACEHOLDER,
    );
    expect(s.text).toContain("WHERE status = ? AND run_id = ? AND name = ?");
    expect(s.args).toEqual(["pending", "run_1", "approval"]);
    expect(
      countStatement({ kind: "hooks", table: "hooks", filter: {} }, SQLITE_PLACEHOLDER).text,
    ).not.toContain("WHERE");
  });

  it("page newest first, one row past the page telling whether another follows, keyed by the last row shown", () => {
    const s = pageStatement({ kind: "runs", table: "runs", filter: { limit: 2 } }, POSTGRES_PLACEHOLDER);
    expect(squash(s.text)).toBe("SELECT * FROM runs ORDER BY created_at DESC, id DESC LIMIT $1");
    expect(s.args).toEqual([3]);
    const rows = [
      { id: "c", created_at: "30" },
      { id: "b", created_at: 20 },
      { id: "a", created_at: 10 },
    ];
    const page = s.page(rows, (r) => r.id as string);
    expect(page).toEqual({ items: ["c", "b"], nextCursor: encodeCursor(20, "b") });
    expect(s.page(rows.slice(0, 2), (r) => r.id).nextCursor).toBeUndefined();
  });

  it("continue after a cursor: older rows, or rows of the same time with a smaller id", () => {
    const s = pageStatement(
      { kind: "hooks", table: "hooks", filter: { status: "pending", cursor: encodeCursor(20, "hook_b") } },
      SQLITE_PLACEHOLDER,
    );
    expect(squash(s.text)).toBe(
      "SELECT * FROM hooks WHERE status = ? AND (created_at < ? OR (created_at = ? AND id < ?)) ORDER BY created_at DESC, id DESC LIMIT ?",
    );
    expect(s.args).toEqual(["pending", 20, 20, "hook_b", 101]);
  });

  it("refuse a cursor this store did not give out, or a limit out of range", () => {
    const bad = (filter: object) => () =>
      pageStatement({ kind: "runs", table: "runs", filter }, SQLITE_PLACEHOLDER);
    for (const f of [{ cursor: "nonsense" }, { limit: 0 }, { limit: 1001 }]) {
      expect(bad(f)).toThrow(InvalidArgumentError);
    }
  });
});
