import { describe, expect, it } from "vitest";
import { Batcher } from "./batcher.js";

/** A send function that records each batch and answers when told to. */
function recorder<O>(answer: (items: number[]) => O[] | Promise<O[]>) {
  const batches: number[][] = [];
  let release: (() => void) | undefined;
  let gate: Promise<void> = Promise.resolve();
  return {
    batches,
    hold() {
      gate = new Promise((r) => (release = r));
    },
    open() {
      release?.();
    },
    send: async (items: number[]) => {
      batches.push(items);
      await gate;
      return answer(items);
    },
  };
}

describe("Batcher (group commit for many callers)", () => {
  it("sends a lone call at once, and calls made meanwhile together in the next batch, answered in order", async () => {
    const r = recorder((items) => items.map((n) => n * 10));
    const b = new Batcher(r.send);
    r.hold();
    const first = b.add(1);
    await new Promise((res) => setTimeout(res, 5));
    expect(r.batches).toEqual([[1]]);
    const later = [b.add(2), b.add(3), b.add(4)];
    await new Promise((res) => setTimeout(res, 5));
    expect(r.batches).toEqual([[1]]); // one batch in flight at a time
    r.open();
    expect(await first).toBe(10);
    expect(await Promise.all(later)).toEqual([20, 30, 40]);
    expect(r.batches).toEqual([[1], [2, 3, 4]]);
  });

  it("caps a batch at maxBatch", async () => {
    const r = recorder((items) => items);
    const b = new Batcher(r.send, { maxBatch: 2 });
    expect(await Promise.all([1, 2, 3, 4, 5].map((n) => b.add(n)))).toEqual([1, 2, 3, 4, 5]);
    expect(r.batches).toEqual([[1, 2], [3, 4], [5]]);
  });

  it("sends the items of a failed batch again one by one, so a bad item fails alone", async () => {
    const r = recorder((items) => {
      if (items.includes(13)) throw new Error("bad item 13");
      return items;
    });
    const b = new Batcher(r.send);
    const outs = await Promise.allSettled([12, 13, 14].map((n) => b.add(n)));
    expect(outs.map((o) => (o.status === "fulfilled" ? o.value : (o.reason as Error).message))).toEqual([
      12,
      "bad item 13",
      14,
    ]);
  });

  it("fails every item of a batch at once when the connection is lost (retrying alone would not help)", async () => {
    const lost = new Error("connection lost");
    const r = recorder(() => {
      throw lost;
    });
    const b = new Batcher(r.send, { isConnectionError: (err) => err === lost });
    const outs = await Promise.allSettled([1, 2, 3].map((n) => b.add(n)));
    expect(outs.every((o) => o.status === "rejected" && o.reason === lost)).toBe(true);
    expect(r.batches).toEqual([[1, 2, 3]]);
  });
});
