import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  createHook,
  defineHook,
  defineWorkflow,
  PayloadValidationError,
  RunFailedError,
  SerializationError,
} from "../../src/index.js";
import { createTestLatch, type TestLatch } from "../../src/testing/index.js";
import { failure } from "../support/failure.js";

let t: TestLatch | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

/** A refinement: what JSON Schema cannot say, only the hook's own schema checks it. */
const signOff = defineHook(
  "mock_sign_off",
  z.object({ reviewer: z.string().refine((s) => s.includes("@"), "must be an email address") }),
);
const signOffFlow = defineWorkflow("mock_sign_off_flow", async () => (await signOff.create()).reviewer);

/** An inline schema (no defineHook): known only to the hook inside the run. */
const inlineFlow = defineWorkflow("mock_inline_flow", async () => {
  const d = await createHook({ name: "mock_inline", schema: z.object({ qty: z.number().int() }) });
  return d.qty;
});

/** result() must settle well before the test's own timeout: a hang is the defect. */
function soon<T>(p: Promise<T>): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, reject) =>
      setTimeout(() => reject(new Error("result() did not settle within 2 s")), 2_000).unref(),
    ),
  ]);
}

describe("mockHooks with a payload the hook's schema refuses", () => {
  it("fails the run at once, naming the mock and the field (a value failing a refinement)", async () => {
    t = await createTestLatch({
      workflows: [signOffFlow],
      mockHooks: { mock_sign_off: { reviewer: "bob" } },
    });
    const run = await t.start(signOffFlow);
    const err = await failure(soon(run.result()));
    expect(RunFailedError.is(err)).toBe(true);
    const cause = (err as Error).cause as PayloadValidationError;
    expect(PayloadValidationError.is(cause)).toBe(true);
    expect(cause.issues).toEqual([{ path: "reviewer", message: "must be an email address" }]);
    expect(cause.message).toContain("mockHooks.mock_sign_off");
    expect(cause.message).toContain("reviewer: must be an email address");
    expect(await run.status()).toBe("failed");
    const types = (await run.events()).map((e) => e.type);
    expect(types).not.toContain("hook.received");
    expect(types.at(-1)).toBe("run.failed");
  });

  it("fails the run for a mock function's returned value against an inline schema (JSON Schema check)", async () => {
    t = await createTestLatch({
      workflows: [inlineFlow],
      mockHooks: { mock_inline: async () => ({ qty: "three" }) },
    });
    const run = await t.start(inlineFlow);
    const cause = ((await failure(soon(run.result()))) as Error).cause as PayloadValidationError;
    expect(PayloadValidationError.is(cause)).toBe(true);
    expect(cause.message).toContain("mockHooks.mock_inline");
    expect(cause.issues.map((i) => i.path)).toEqual(["qty"]);
  });

  it("fails the run when the mock function returns a value that cannot be stored, or throws", async () => {
    t = await createTestLatch({
      workflows: [inlineFlow],
      mockHooks: { mock_inline: () => ({ qty: 1n }) },
    });
    const cause = ((await failure(soon((await t.start(inlineFlow)).result()))) as Error).cause;
    expect(SerializationError.is(cause)).toBe(true);
    expect((cause as Error).message).toContain("mockHooks.mock_inline");
    await t.close();

    t = await createTestLatch({
      workflows: [inlineFlow],
      mockHooks: {
        mock_inline: () => {
          throw new Error("mock exploded");
        },
      },
    });
    const thrown = ((await failure(soon((await t.start(inlineFlow)).result()))) as Error).cause;
    expect((thrown as Error).message).toContain("mock exploded");
  });

  it("still resumes with a valid mock, value or function", async () => {
    t = await createTestLatch({
      workflows: [signOffFlow, inlineFlow],
      mockHooks: { mock_sign_off: { reviewer: "ann@example.com" }, mock_inline: async () => ({ qty: 3 }) },
    });
    expect(await soon((await t.start(signOffFlow)).result())).toBe("ann@example.com");
    expect(await soon((await t.start(inlineFlow)).result())).toBe(3);
  });
});
