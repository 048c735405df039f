import { describe, expect, it } from "vitest";
import { NotALatchDatabaseError } from "../errors.js";
import { type FoundSchema, pendingMigrations } from "./migration-policy.js";

const MIGRATIONS = ["m1", "m2", "m3"];
const found = (over: Partial<FoundSchema>): FoundSchema => ({
  where: "/tmp/x.db",
  marked: true,
  version: 0,
  tables: [],
  foreignFix: "Use a file of its own.",
  ...over,
});

describe("pendingMigrations", () => {
  it("answers the migrations after the recorded version, none when up to date", () => {
    expect(pendingMigrations(found({ marked: false }), MIGRATIONS)).toEqual(["m1", "m2", "m3"]);
    expect(pendingMigrations(found({ version: 1, tables: ["runs"] }), MIGRATIONS)).toEqual(["m2", "m3"]);
    expect(pendingMigrations(found({ version: 3, tables: ["runs"] }), MIGRATIONS)).toEqual([]);
  });

  it("refuses a database with tables (or a version) but no Latch marker, naming the tables and the fix", () => {
    for (const f of [found({ marked: false, tables: ["users"] }), found({ marked: false, version: 2 })]) {
      const err = (() => {
        try {
          pendingMigrations(f, MIGRATIONS);
        } catch (e) {
          return e;
        }
      })() as NotALatchDatabaseError;
      expect(NotALatchDatabaseError.is(err)).toBe(true);
      expect(err.message).toContain("another application");
      expect(err.message).toContain("Use a file of its own.");
    }
  });

  it("refuses a schema version it does not know, saying so", () => {
    expect(() => pendingMigrations(found({ version: 4, tables: ["runs"] }), MIGRATIONS)).toThrow(
      /has schema version 4, which this Latch does not know \(it knows up to 3\).*Upgrade latch/,
    );
  });
});
