import { describe, expect, it } from "vitest";
import { SerializationError } from "../errors.js";
import { decodeValue, encodeValue } from "./values.js";

function refusal(value: unknown, field = "input"): SerializationError {
  try {
    encodeValue(value, field);
  } catch (err) {
    if (SerializationError.is(err)) return err as SerializationError;
    throw err;
  }
  throw new Error("encodeValue accepted the value");
}

describe("encodeValue: only values that come back as they went in", () => {
  it("round-trips plain JSON data, including astral characters", () => {
    const value = { a: [1, "x", null, true], "odd key": { n: -0.5 }, emoji: "🙂 ok" };
    expect(decodeValue(encodeValue(value, "input"))).toEqual(value);
  });

  it("refuses a Date (it would come back as a string), naming the field", () => {
    const err = refusal([{ due: new Date(0) }]);
    expect(err.code).toBe("NOT_SERIALIZABLE");
    expect(err.field).toBe("input[0].due");
    expect(err.message).toContain("Date");
    expect(err.message).toContain("toISOString()");
    expect(refusal(new Date(0), "payload").field).toBe("payload");
  });

  it("refuses other objects that turn into something else through toJSON()", () => {
    class Money {
      constructor(readonly cents: number) {}
      toJSON() {
        return `${this.cents / 100} EUR`;
      }
    }
    expect(refusal({ price: new Money(150) }, "workflow result").field).toBe("workflow result.price");
  });

  it("refuses a lone surrogate in a string or a key, naming where it is", () => {
    const err = refusal(["ok", { text: "ab\ud800c" }]);
    expect(err.field).toBe("input[1].text");
    expect(err.message).toContain("lone surrogate");
    expect(err.message).toContain("position 2");
    expect(refusal({ "\udc00": 1 }, "payload").message).toContain("lone surrogate");
    expect(refusal("\udfff", "payload").field).toBe("payload");
    // A whole pair is a character, not a lone surrogate.
    expect(decodeValue(encodeValue("\ud83d\ude42", "payload"))).toBe("🙂");
  });
});
