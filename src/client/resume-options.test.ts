import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../errors.js";
import { resumeSettings } from "./resume-options.js";

const refusal = (fn: () => unknown): InvalidArgumentError => {
  try {
    fn();
  } catch (err) {
    if (InvalidArgumentError.is(err)) return err;
    throw err;
  }
  throw new Error("not refused");
};

describe("resumeSettings", () => {
  it("fills in the defaults: error when missing, wait until recorded, 30 s for a delivery", () => {
    expect(resumeSettings("t", {})).toEqual({
      ifMissing: "error",
      idempotencyKey: undefined,
      wait: "recorded",
      waitMs: 30_000,
      by: undefined,
      channel: undefined,
    });
  });

  it("takes what was asked for, durations and a bare actor id included", () => {
    expect(
      resumeSettings("slack:c1", {
        ifMissing: "keep",
        idempotencyKey: "mail-1",
        wait: "delivered",
        waitTimeout: "2s",
        by: "ann",
        channel: "api",
      }),
    ).toEqual({
      ifMissing: "keep",
      idempotencyKey: "mail-1",
      wait: "delivered",
      waitMs: 2_000,
      by: { id: "ann" },
      channel: "api",
    });
  });

  it("refuses each bad option naming its field", () => {
    expect(refusal(() => resumeSettings("t", { ifMissing: "drop" as never })).field).toBe("ifMissing");
    // "keep" holds a payload for a custom token; a generated one never comes back.
    expect(
      refusal(() => resumeSettings(`run_${"0".repeat(26)}:hook_${"1".repeat(26)}`, { ifMissing: "keep" }))
        .field,
    ).toBe("ifMissing");
    expect(refusal(() => resumeSettings("t", { idempotencyKey: "" })).field).toBe("idempotencyKey");
    expect(refusal(() => resumeSettings("t", { idempotencyKey: "k".repeat(257) })).field).toBe(
      "idempotencyKey",
    );
    expect(refusal(() => resumeSettings("t", { wait: "later" as never })).field).toBe("wait");
    expect(refusal(() => resumeSettings("t", { waitTimeout: "soon" })).field).toBe("waitTimeout");
    expect(refusal(() => resumeSettings("t", { channel: "c".repeat(65) })).field).toBe("channel");
    expect(refusal(() => resumeSettings("t", { by: 42 as never })).field).toMatch(/^by/);
  });
});
