import { describe, expect, it } from "vitest";
import type { InboxRecord } from "../store/records.js";
import { PayloadFeed, rejection } from "./payload-feed.js";

const row = (id: number, extra: Partial<InboxRecord> = {}): InboxRecord => ({
  id,
  token: "t",
  hookId: "hook_A",
  runId: "run_A",
  payload: JSON.stringify(id),
  receivedAt: 100 + id,
  ...extra,
});

describe("the payload feed", () => {
  it("hands each row out once until a durable commit consumes it", () => {
    const feed = new PayloadFeed();
    expect(feed.take([row(1), row(2)]).map((e) => e.inboxId)).toEqual([1, 2]);
    // Read again before the commit (the store still hands them out): nothing new.
    expect(feed.take([row(1), row(2), row(3)]).map((e) => e.inboxId)).toEqual([3]);
    expect(feed.outstanding).toBe(3);
    feed.consumed({ consumeInbox: [1, 3], rejectInbox: [{ id: 2, issues: [] }] });
    expect(feed.outstanding).toBe(0);
  });

  it("keeps rows not in the commit outstanding (queued, not applied yet)", () => {
    const feed = new PayloadFeed();
    feed.take([row(1), row(2)]);
    feed.consumed({ consumeInbox: [1] });
    expect(feed.outstanding).toBe(1);
    expect(feed.take([row(2)])).toEqual([]);
  });

  it("makes events with the row's sender, and rejections that keep everything but the type", () => {
    const [e] = new PayloadFeed().take([row(5, { by: { id: "ann" }, channel: "cli" })]);
    expect(e).toEqual({
      type: "hook.received",
      hookId: "hook_A",
      token: "t",
      inboxId: 5,
      payload: "5",
      receivedAt: 105,
      by: { id: "ann" },
      channel: "cli",
    });
    const issues = [{ path: "x", message: "bad" }];
    expect(rejection(e!, issues)).toEqual({ ...e, type: "hook.rejected", issues });
  });
});
