import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../errors.js";
import type { EventRecord } from "../replay/events.js";
import { eventPage, eventPageQuery } from "./event-page.js";

const events = (...seqs: number[]): EventRecord[] =>
  seqs.map((seq) => ({ seq, at: seq, type: "run.started" }) as EventRecord);

describe("event pages", () => {
  it("reads one event more than asked for, after the cursor", () => {
    expect(eventPageQuery({ limit: 2, cursor: "5", typePrefix: "hook" })).toEqual({
      read: { typePrefix: "hook", afterSeq: 5, limit: 3 },
      limit: 2,
    });
    // The later of a cursor and afterSeq wins; no limit reads everything.
    expect(eventPageQuery({ afterSeq: 9, cursor: "5" }).read).toMatchObject({
      afterSeq: 9,
      limit: undefined,
    });
    expect(eventPageQuery({ cursor: "" }).read.afterSeq).toBeUndefined();
  });

  it("refuses a cursor it never gave out", () => {
    for (const cursor of ["abc", "-1", "1".repeat(16)]) {
      let err: unknown;
      try {
        eventPageQuery({ cursor });
      } catch (e) {
        err = e;
      }
      expect(InvalidArgumentError.is(err) && err.field).toBe("cursor");
    }
  });

  it("gives the next cursor only when more events follow", () => {
    expect(eventPage(events(1, 2, 3), 2)).toMatchObject({
      items: [{ seq: 1 }, { seq: 2 }],
      nextCursor: "2",
      nextAfterSeq: 2,
    });
    const last = eventPage(events(3, 4), 2);
    expect(last.items.map((e) => e.seq)).toEqual([3, 4]);
    expect(last.nextCursor).toBeUndefined();
    expect(Object.keys(eventPage(events(1), undefined))).toEqual(["items"]);
  });
});
