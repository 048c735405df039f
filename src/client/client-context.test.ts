import { expect, it } from "vitest";
import { z } from "zod";
import { defineHook } from "../workflow/hook.js";
import { clientContext } from "./client-context.js";

const approval = defineHook("ctx_approval", z.object({ ok: z.boolean() }));

it("takes the options given over the environment", () => {
  const ctx = clientContext(
    { hookDefinitions: [approval], publicUrl: "https://given.example" },
    { publicUrl: "https://env.example" },
    "client",
  );
  expect(ctx.hookSchemas.get("ctx_approval")).toBe(approval.schema);
  expect(ctx.publicUrl.base).toBe("https://given.example");
  expect(clientContext({}, { publicUrl: "https://env.example/" }, "latch").publicUrl.base).toBe(
    "https://env.example",
  );
});

it("refuses a malformed URL a latch would give out, naming where it came from; a client only shows it", () => {
  expect(() => clientContext({ publicUrl: "nope" }, {}, "client")).toThrow(/^publicUrl: /);
  expect(() => clientContext({}, { publicUrl: "nope" }, "latch")).toThrow(/^LATCH_PUBLIC_URL: /);
  expect(clientContext({}, { publicUrl: "nope" }, "client").publicUrl.base).toBe("nope");
});
