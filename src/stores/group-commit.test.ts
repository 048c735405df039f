import { describe, expect, it } from "vitest";
import { GroupCommit, type Settled } from "./group-commit.js";

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

const tick = () => new Promise((res) => setTimeout(res, 5));
const outcome = (o: PromiseSettledResult<unknown>) =>
  o.status === "fulfilled" ? o.value : (o.reason as Error).message;

describe("GroupCommit", () => {
  it("sends a lone call at once, and calls made meanwhile together in the next batch, answered in order", async () => {
    const r = recorder((items) => items.map((n) => n * 10));
    const g = new GroupCommit(r.send);
    r.hold();
    const first = g.add(1);
    await tick();
    expect(r.batches).toEqual([[1]]);
    const later = [g.add(2), g.add(3), g.add(4)];
    await tick();
    expect(r.batches).toEqual([[1]]); // one batch in flight at a time
    r.open();
    expect(await first).toBe(10);
    expect(await Promise.all(later)).toEqual([20, 30, 40]);
    expect(r.batches).toEqual([[1], [2, 3, 4]]);
  });

  it("caps a batch at maxBatch", async () => {
    const r = recorder((items) => items);
    const g = new GroupCommit(r.send, { maxBatch: 2 });
    expect(await Promise.all([1, 2, 3, 4, 5].map((n) => g.add(n)))).toEqual([1, 2, 3, 4, 5]);
    expect(r.batches).toEqual([[1, 2], [3, 4], [5]]);
  });

  it("keeps up to maxInFlight batches out at once", async () => {
    const r = recorder((items) => items);
    const g = new GroupCommit(r.send, { maxBatch: 1, maxInFlight: 2 });
    r.hold();
    const all = [1, 2, 3].map((n) => g.add(n));
    await tick();
    expect(r.batches).toEqual([[1], [2]]);
    r.open();
    expect(await Promise.all(all)).toEqual([1, 2, 3]);
  });

  it("by default fails every item with the batch's error", async () => {
    const r = recorder((items): number[] => {
      throw new Error(`batch of ${items.length}`);
    });
    const g = new GroupCommit(r.send);
    const outs = await Promise.allSettled([1, 2].map((n) => g.add(n)));
    expect(outs.map(outcome)).toEqual(["batch of 2", "batch of 2"]);
    expect(r.batches).toEqual([[1, 2]]);
  });

  it("sends the items of a failed batch again one by one when retryAlone says so: a bad item fails alone", async () => {
    const r = recorder((items) => {
      if (items.includes(13)) throw new Error("bad item 13");
      return items;
    });
    const g = new GroupCommit(r.send, { retryAlone: () => true });
    const outs = await Promise.allSettled([12, 13, 14].map((n) => g.add(n)));
    expect(outs.map(outcome)).toEqual([12, "bad item 13", 14]);
    expect(r.batches).toEqual([[12, 13, 14], [12], [13], [14]]);
  });

  it("fails every item at once when retryAlone says no (a lost connection: retrying alone would not help)", async () => {
    const lost = new Error("connection lost");
    const r = recorder((): number[] => {
      throw lost;
    });
    const g = new GroupCommit(r.send, { retryAlone: (err) => err !== lost });
    const outs = await Promise.allSettled([1, 2, 3].map((n) => g.add(n)));
    expect(outs.every((o) => o.status === "rejected" && o.reason === lost)).toBe(true);
    expect(r.batches).toEqual([[1, 2, 3]]);
  });

  it("tries a failed batch again through sendEach when given, and fails all if that throws", async () => {
    const seen: number[][] = [];
    const sendEach = (items: number[]): Settled<number>[] => {
      seen.push(items);
      if (items.includes(0)) throw new Error("no transaction");
      return items.map((n) =>
        n === 13 ? { ok: false, error: new Error("bad 13") } : { ok: true, value: n },
      );
    };
    const g = new GroupCommit(
      (items: number[]): number[] => {
        if (items.includes(13) || items.includes(0)) throw new Error("batch failed");
        return items;
      },
      { retryAlone: () => true, sendEach },
    );
    expect((await Promise.allSettled([12, 13, 14].map((n) => g.add(n)))).map(outcome)).toEqual([
      12,
      "bad 13",
      14,
    ]);
    expect((await Promise.allSettled([0, 1].map((n) => g.add(n)))).map(outcome)).toEqual([
      "no transaction",
      "no transaction",
    ]);
    expect(seen).toEqual([
      [12, 13, 14],
      [0, 1],
    ]);
  });

  it('with collect "turn", gathers the calls of a whole event-loop turn, awaits between them included', async () => {
    const r = recorder((items) => items);
    const g = new GroupCommit(r.send, { collect: "turn" });
    const staggered = async (n: number) => {
      for (let i = 0; i < n; i++) await Promise.resolve();
      return g.add(n);
    };
    expect(await Promise.all([1, 2, 3].map(staggered))).toEqual([1, 2, 3]);
    expect(r.batches).toEqual([[1, 2, 3]]);

    const m = recorder((items) => items);
    const micro = new GroupCommit(m.send);
    await Promise.all(
      [1, 2, 3].map(async (n) => {
        for (let i = 0; i < n * 3; i++) await Promise.resolve();
        return micro.add(n);
      }),
    );
    expect(m.batches.length).toBeGreaterThan(1); // the default sends at the first microtask
  });

  it("drain resolves once nothing is waiting or out", async () => {
    const r = recorder((items) => items);
    const g = new GroupCommit(r.send);
    await g.drain();
    r.hold();
    let answered = 0;
    for (const n of [1, 2, 3]) void g.add(n).then(() => answered++);
    const drained = g.drain();
    expect(g.size).toBe(3);
    await tick();
    r.open();
    await drained;
    expect(answered).toBe(3);
    expect(g.size).toBe(0);
  });
});
