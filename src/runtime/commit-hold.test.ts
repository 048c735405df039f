import { describe, expect, it } from "vitest";
import { CommitHold } from "./commit-hold.js";

const ready = { holdable: true, stepsAhead: true, hooksToTell: false };

describe("holding events for a later commit", () => {
  it("holds while steps run, for at most the delay since the oldest held event", () => {
    let now = 1_000;
    const hold = new CommitHold(10, false, () => now);
    expect(hold.holding).toBe(false);
    expect(hold.mayHold(ready)).toBe(true);
    now += 4;
    expect(hold.mayHold(ready)).toBe(true);
    expect(hold.dueIn()).toBe(6);
    now += 6;
    expect(hold.mayHold(ready)).toBe(false);
    hold.release();
    expect(hold.holding).toBe(false);
    expect(hold.dueIn()).toBeUndefined();
  });

  it("never holds for a careful run, without steps ahead, with hooks to tell, or what must be durable", () => {
    expect(new CommitHold(10, true).mayHold(ready)).toBe(false);
    const hold = new CommitHold(10, false);
    expect(hold.mayHold({ ...ready, stepsAhead: false })).toBe(false);
    expect(hold.mayHold({ ...ready, hooksToTell: true })).toBe(false);
    expect(hold.mayHold({ ...ready, holdable: false })).toBe(false);
    expect(hold.holding).toBe(false);
  });
});
