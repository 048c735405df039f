import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../errors.js";
import { openStore } from "./open.js";

describe("openStore", () => {
  it("opens the store a URL or a path names, loading its module then", async () => {
    for (const spec of ["sqlite::memory:", ":memory:"]) {
      const store = await openStore(spec);
      expect(store.kind).toBe("sqlite");
      await store.close();
    }
  });

  it("refuses what is neither a URL nor a file path, naming the accepted forms", async () => {
    for (const spec of ["", "not a url", "mysql://h/db"]) {
      const err = await openStore(spec).catch((e) => e);
      expect(InvalidArgumentError.is(err)).toBe(true);
      expect(err.message).toContain("sqlite:<path>");
    }
  });

  it("reads no environment: without a URL it is the embedded default, whatever LATCH_DATABASE_URL says", async () => {
    const before = process.env.LATCH_DATABASE_URL;
    process.env.LATCH_DATABASE_URL = "mysql://would-be-refused/db";
    try {
      // The default names a file in the current folder: only check that the env is not looked at.
      const out = await openStore(undefined, { create: false }).catch((e) => e);
      expect(InvalidArgumentError.is(out)).toBe(false);
      if (typeof out?.close === "function") await out.close();
    } finally {
      if (before === undefined) delete process.env.LATCH_DATABASE_URL;
      else process.env.LATCH_DATABASE_URL = before;
    }
  });
});
