import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { memoryStore, T0 } from "../../test/support/runtime-fixtures.js";
import type { ClaimedRun } from "../store/records.js";
import type { Store } from "../store/store.js";
import type { VirtualClock } from "../testing/virtual-clock.js";
import { ClaimLoop } from "./claim-loop.js";
import { silentLogger } from "./logger.js";

let store: Store;
let clock: VirtualClock;
beforeEach(async () => {
  ({ store, clock } = await memoryStore());
});
afterEach(() => store.close());

/** A claim loop over the real store; claimed runs are held until `release(id)`. */
function loop(opts: { concurrency?: number; claimBatch?: number } = {}) {
  const held = new Set<string>();
  const claimed: ClaimedRun[] = [];
  let quiet = 0;
  const claims = new ClaimLoop({
    store,
    clock,
    logger: silentLogger,
    owner: "w1",
    leaseMs: 60_000,
    claimBatch: opts.claimBatch ?? 256,
    workflowNames: () => ["wf"],
    holds: (id) => held.has(id),
    room: () => (opts.concurrency ?? 100) - held.size,
    onClaimed: (c) => {
      held.add(c.run.id);
      claimed.push(c);
    },
    onQuiet: () => quiet++,
  });
  const release = (id: string) => {
    held.delete(id);
    claims.released();
  };
  const ids = () => claimed.map((c) => c.run.id).sort();
  const settled = async () => {
    for (let i = 0; i < 200 && (claims.busy || quiet === 0); i++) await new Promise((r) => setTimeout(r, 2));
  };
  return { claims, held, ids, release, settled, quiet: () => quiet };
}

const create = (id: string, now = T0, workflow = "wf") => store.createRun({ id, workflow, now });

describe("the claim loop", () => {
  it("scans for every due run of its workflows, in batches, and says when it is quiet", async () => {
    for (const id of ["run_a", "run_b", "run_c"]) await create(id);
    await create("run_other", T0, "other");
    const l = loop({ claimBatch: 2 });
    l.claims.start();
    await l.settled();
    expect(l.ids()).toEqual(["run_a", "run_b", "run_c"]);
    expect(l.quiet()).toBeGreaterThan(0);
    l.claims.stop();
  });

  it("claims a run named by id without scanning for others", async () => {
    await create("run_a");
    const l = loop();
    l.claims.start(); // scans at start
    await l.settled();
    expect(l.ids()).toEqual(["run_a"]);
    await create("run_b");
    await create("run_c");
    l.claims.want("run_c");
    await l.settled();
    expect(l.ids()).toEqual(["run_a", "run_c"]);
    l.claims.stop();
  });

  it("stops at its concurrency and looks again when a run is given back", async () => {
    for (const id of ["run_a", "run_b", "run_c"]) await create(id);
    const l = loop({ concurrency: 2 });
    l.claims.start();
    await l.settled();
    expect(l.ids()).toHaveLength(2);
    l.release(l.ids()[0]!);
    await new Promise((r) => setTimeout(r, 20));
    await l.settled();
    expect(l.ids()).toEqual(["run_a", "run_b", "run_c"]);
    l.claims.stop();
  });

  it("sets its timer to the next due run the store knows of", async () => {
    await create("run_now");
    await create("run_later", T0 + 60_000);
    const l = loop();
    l.claims.start();
    await l.settled();
    expect(l.ids()).toEqual(["run_now"]);
    await clock.advance("1m");
    await new Promise((r) => setTimeout(r, 20));
    await l.settled();
    expect(l.ids()).toEqual(["run_later", "run_now"]);
    l.claims.stop();
  });

  it("never claims by id a run it holds, and claims nothing once stopped", async () => {
    await create("run_a");
    const l = loop();
    l.claims.start();
    await l.settled();
    l.claims.want("run_a"); // a doorbell for a run being driven here
    await l.settled();
    expect(l.ids()).toEqual(["run_a"]);
    l.claims.stop();
    await create("run_b");
    l.claims.scan();
    l.claims.want("run_b");
    await new Promise((r) => setTimeout(r, 10));
    expect(l.ids()).toEqual(["run_a"]);
  });
});
