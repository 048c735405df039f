import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { memoryStore, T0 } from "../../test/support/runtime-fixtures.js";
import type { Store } from "../store/store.js";
import type { VirtualClock } from "../testing/virtual-clock.js";
import { type LeaseHolder, LeaseKeeper } from "./lease-keeper.js";
import type { Logger } from "./logger.js";

const LEASE = 1_000;
let store: Store;
let clock: VirtualClock;
beforeEach(async () => {
  ({ store, clock } = await memoryStore());
});
afterEach(() => store.close());

class Holder implements LeaseHolder {
  releasing = false;
  stopped: string | undefined;
  stop(reason: string) {
    this.stopped = reason;
  }
}

async function claimAs(owner: string, ids: string[]) {
  const got = await store.claimRuns({
    owner,
    now: clock.now(),
    leaseMs: LEASE,
    limit: 10,
    workflows: ["wf"],
    ids,
  });
  return got.map((c) => c.run.id).sort();
}

function keeper(held: Map<string, Holder>) {
  const warnings: string[] = [];
  const logger: Logger = { warn: (m) => warnings.push(m), error: (m) => warnings.push(m) };
  const k = new LeaseKeeper({ store, clock, logger, owner: "w1", leaseMs: LEASE, held: () => held });
  return { k, warnings };
}

describe("the lease keeper", () => {
  beforeEach(async () => {
    for (const id of ["run_a", "run_b"]) await store.createRun({ id, workflow: "wf", now: T0 });
    expect(await claimAs("w1", ["run_a", "run_b"])).toEqual(["run_a", "run_b"]);
  });

  it("renews the leases of the runs driven, but not of those being given back", async () => {
    const a = new Holder();
    const b = Object.assign(new Holder(), { releasing: true });
    const { k } = keeper(
      new Map([
        ["run_a", a],
        ["run_b", b],
      ]),
    );
    await clock.advance(600);
    await k.renew();
    await clock.advance(600); // past the first lease: only run_b's has ended
    expect(await claimAs("w2", ["run_a", "run_b"])).toEqual(["run_b"]);
    expect(a.stopped).toBeUndefined();
  });

  it("stops the driver of a run whose lease another worker took over", async () => {
    const a = new Holder();
    const { k, warnings } = keeper(new Map([["run_a", a]]));
    await clock.advance(LEASE + 1);
    expect(await claimAs("w2", ["run_a"])).toEqual(["run_a"]);
    await k.renew();
    expect(a.stopped).toBe("lease lost");
    expect(warnings.join()).toMatch(/run_a: lease lost/);
  });

  it("gives claims back at once when the worker stops", async () => {
    const { k } = keeper(new Map());
    await k.giveBack(["run_a"]);
    expect(await claimAs("w2", ["run_a", "run_b"])).toEqual(["run_a"]);
  });
});
