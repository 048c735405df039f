import { describe, expect, it } from "vitest";
import { POSTGRES_MIGRATIONS } from "./index.js";

describe("the PostgreSQL migration list", () => {
  const text = POSTGRES_MIGRATIONS.map((m) => m("latch_t")).join("\n");
  const created = [...text.matchAll(/CREATE FUNCTION "latch_t"\.(\w+)\(/g)].map((m) => m[1]!);

  it("creates every function once, with its final text (no replace, rename or drop)", () => {
    expect(created.length).toBeGreaterThan(5);
    expect(new Set(created).size).toBe(created.length);
    expect(text).not.toMatch(/CREATE OR REPLACE|RENAME TO|DROP FUNCTION|ALTER TABLE/);
  });

  it("defines every function it calls", () => {
    const called = new Set([...text.matchAll(/"latch_t"\.(\w+)\(/g)].map((m) => m[1]!));
    for (const name of called) expect(created, name).toContain(name);
  });

  it("keeps each state change's entry points: what queries.ts calls", () => {
    for (const name of ["create_runs", "commit_runs", "resume_hooks", "cancel_run", "live_workers"]) {
      expect(created).toContain(name);
    }
  });
});
