import { describe, expect, it } from "vitest";
import { NonDeterminismError } from "../errors.js";
import { CallMatcher } from "./call-matcher.js";
import type { LatchEvent } from "./events.js";

const LOG: LatchEvent[] = [
  { type: "run.started" },
  { type: "step.started", callSeq: 1, name: "a", attempt: 1 },
  { type: "step.completed", callSeq: 1, name: "a", attempt: 1, result: "1" },
  { type: "value.recorded", callSeq: 2, kind: "now", value: 5 },
];

function matcher() {
  const m = new CallMatcher("run_X", "wf");
  m.load(LOG, 3);
  return m;
}

describe("matching the code's durable calls against the log", () => {
  it("numbers calls in call order and finds each one's first recorded event", () => {
    const m = matcher();
    expect(m.next("step.started", "a")).toBe(1);
    expect(m.recordedAt(1)).toEqual(LOG[1]);
    expect(m.next("value.recorded", "now")).toBe(2);
    m.live();
    expect(m.next("sleep.started")).toBe(3); // past the log, once replay is over: a new call
    expect(m.recordedAt(3)).toBeUndefined();
    expect(m.fatal).toBeUndefined();
  });

  it("fails a call of another kind or name, and keeps the error whatever the code does with it", () => {
    const m = matcher();
    expect(() => m.next("step.started", "b")).toThrow(NonDeterminismError);
    expect(m.fatal?.message).toContain('durable call #1 is step "b" in the code but step "a" in the log');
    expect(() => m.next("step.started", "a")).toThrow(m.fatal);
  });

  it("fails a call the log lacks while events remain to replay", () => {
    const m = new CallMatcher("run_X", "wf");
    m.load([{ type: "run.started" }], 1);
    expect(() => m.next("step.started", "x")).toThrow(/is in the code but not in the log of run run_X/);
  });

  it("fails a logged call the code no longer makes", () => {
    const m = matcher();
    m.next("step.started", "a");
    expect(() => m.expect(1, LOG[2]!)).not.toThrow();
    expect(() => m.expect(2, LOG[3]!)).toThrow(
      /has value "now" as durable call #2, which the code no longer makes/,
    );
  });
});
