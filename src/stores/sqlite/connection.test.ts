import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { ClosedError } from "../../errors.js";
import { SqliteConnection } from "./connection.js";

let conn: SqliteConnection | undefined;
afterEach(() => conn?.close());

function open(): SqliteConnection {
  const db = new Database(":memory:");
  db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)");
  conn = new SqliteConnection(":memory:", db);
  return conn;
}

/** Counts the write transactions the connection runs (its fast path: one per batch). */
function countTransactions(c: SqliteConnection): { n: number } {
  const seen = { n: 0 };
  const self = c as unknown as { runAll(jobs: unknown[]): unknown[] };
  const runAll = self.runAll.bind(c);
  self.runAll = (jobs) => {
    seen.n++;
    return runAll(jobs);
  };
  return seen;
}

const insert = (c: SqliteConnection, id: number, v: string | null) => () =>
  c.stmt("INSERT INTO t (id, v) VALUES (?, ?)").run(id, v).changes;

describe("SqliteConnection writes", () => {
  it("runs the writes of one event-loop turn in one transaction, awaits between them included", async () => {
    const c = open();
    const tx = countTransactions(c);
    const late = async () => {
      await Promise.resolve();
      await Promise.resolve();
      return c.write(insert(c, 3, "c"));
    };
    expect(await Promise.all([c.write(insert(c, 1, "a")), c.write(insert(c, 2, "b")), late()])).toEqual([
      1, 1, 1,
    ]);
    expect(tx.n).toBe(1);
    expect(c.db.prepare("SELECT count(*) AS n FROM t").get()).toEqual({ n: 3 });
  });

  it("fails only the faulty write of a batch: the others are kept", async () => {
    const c = open();
    const outs = await Promise.allSettled([
      c.write(insert(c, 1, "a")),
      c.write(insert(c, 2, null)), // NOT NULL
      c.write(insert(c, 3, "c")),
    ]);
    expect(outs.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(c.db.prepare("SELECT id FROM t ORDER BY id").all()).toEqual([{ id: 1 }, { id: 3 }]);
  });

  it("lets queued writes finish on close; a write after close is ClosedError", async () => {
    const c = open();
    const queued = c.write(insert(c, 1, "a"));
    await c.close();
    expect(await queued).toBe(1);
    const after = await c.write(insert(c, 2, "b")).catch((e) => e);
    expect(ClosedError.is(after)).toBe(true);
  });

  it("rings its watchers on ring(), on the next turn", async () => {
    const c = open();
    let rings = 0;
    const stop = c.watch(() => rings++);
    c.ring();
    expect(rings).toBe(0);
    await new Promise((r) => setImmediate(r));
    expect(rings).toBe(1);
    stop();
  });
});
