import type pg from "pg";
import { describe, expect, it } from "vitest";
import { ClosedError, StoreConnectionError } from "../../errors.js";
import { Statements } from "./statements.js";

const target = { user: "u", host: "h", port: "5432", database: "d", label: "u@h:5432/d" };

/** A pool that answers each query with what it was asked, or fails as told. */
function pool(fail?: unknown) {
  const asked: { name?: string; text: string }[] = [];
  const p = {
    async query(q: { name?: string; text: string }) {
      asked.push({ name: q.name, text: q.text });
      if (fail) throw fail;
      return { rows: [{ ok: 1 }] };
    },
    async end() {},
  };
  return { asked, pool: p as unknown as pg.Pool };
}

describe("Statements", () => {
  it("names a fixed statement once (prepared per connection); one planned each time has no name", async () => {
    const { asked, pool: p } = pool();
    const s = new Statements(p, target);
    await s.run("a", "SELECT 1", []);
    await s.run("b", "SELECT 2", []);
    await s.run("a", "SELECT 1", []);
    await s.run("list", "SELECT 3", [], true);
    expect(asked.map((q) => q.name)).toEqual(["latch_0", "latch_1", "latch_0", undefined]);
  });

  it("answers a lost server with StoreConnectionError naming the operation and the target", async () => {
    const s = new Statements(
      pool(Object.assign(new Error("refused"), { code: "ECONNREFUSED" })).pool,
      target,
    );
    const err = await s.run("getRun", "SELECT 1", []).catch((e) => e);
    expect(StoreConnectionError.is(err)).toBe(true);
    expect(err.message).toContain("getRun could not reach PostgreSQL at u@h:5432/d");
  });

  it("refuses every statement once closed", async () => {
    const { asked, pool: p } = pool();
    const s = new Statements(p, target);
    await s.close();
    expect(s.isClosed).toBe(true);
    expect(ClosedError.is(await s.run("getRun", "SELECT 1", []).catch((e) => e))).toBe(true);
    expect(asked).toEqual([]);
  });
});
