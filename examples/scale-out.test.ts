import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { startTestPostgres, type TestPostgres } from "../test/support/postgres.js";
import { main } from "./scale-out.js";

let pg: TestPostgres;
beforeAll(async () => {
  pg = await startTestPostgres();
});
afterAll(() => pg?.close());

it("two workers on one PostgreSQL database take every run through its hook to the end", async () => {
  const lines: string[] = [];
  const spy = vi.spyOn(console, "log").mockImplementation((...args) => void lines.push(args.join(" ")));
  try {
    const results = await main(pg.url, 20);
    expect(results).toHaveLength(20);
    expect(results[7]).toEqual({ docId: "doc-7", draft: "draft of doc-7", published: true, by: "ann" });
    expect(lines).toEqual(["20 documents wait for a verdict", "20 documents published"]);
  } finally {
    spy.mockRestore();
  }
});
