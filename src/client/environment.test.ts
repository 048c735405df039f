import { expect, it } from "vitest";
import { readEnvironment } from "./environment.js";

it("reads LATCH_DATABASE_URL and LATCH_PUBLIC_URL; blank means unset", () => {
  expect(readEnvironment({ LATCH_DATABASE_URL: " sqlite:x.db ", LATCH_PUBLIC_URL: "https://h" })).toEqual({
    databaseUrl: "sqlite:x.db",
    publicUrl: "https://h",
  });
  expect(readEnvironment({ LATCH_DATABASE_URL: "", LATCH_PUBLIC_URL: "  " })).toEqual({
    databaseUrl: undefined,
    publicUrl: undefined,
  });
});
