import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Signals } from "../client/signals.js";
import type { Store } from "../store/store.js";
import { openStore } from "../stores/open.js";
import { silentLogger } from "./logger.js";
import { type HeldRuns, type Kick, WakeUps } from "./wake-ups.js";

const T0 = Date.UTC(2030, 0, 1);
let store: Store;
beforeEach(async () => {
  store = await openStore("sqlite::memory:");
});
afterEach(() => store.close());

/** Wake-ups over a real store and signals; what they ask of the claim loop and the held runs is noted. */
function wakeUps(heldIds: string[] = []) {
  const asked: string[] = [];
  const signals = new Signals();
  const held: HeldRuns = {
    holds: (id) => heldIds.includes(id),
    kick: (id, what: Kick) => asked.push(`kick ${id} ${JSON.stringify(what)}`),
    remind: (id, what: Kick) => asked.push(`remind ${id} ${JSON.stringify(what)}`),
    driven: () => heldIds.length,
  };
  const w = new WakeUps({
    store,
    signals,
    logger: silentLogger,
    owner: "w1",
    pollMs: 60_000,
    claims: { want: (id) => asked.push(`want ${id}`), scan: () => asked.push("scan") },
    held,
    recoverDeliveries: () => asked.push("recover"),
  });
  return { w, signals, asked };
}

describe("wake-ups", () => {
  it("turn in-process doorbells into a scan, a claim by id, or news for a held run", () => {
    const { w, signals, asked } = wakeUps(["run_held"]);
    w.start();
    signals.ready(undefined);
    signals.ready("run_new");
    signals.ready("run_held");
    signals.emit("cancel", "run_held");
    w.stop();
    signals.ready("run_after_stop");
    expect(asked).toEqual([
      "scan",
      "want run_new",
      'remind run_held {"inbox":true}',
      'kick run_held {"cancel":true}',
    ]);
  });

  it("route a named change from another process; payloads for runs another live worker released are left to it", () => {
    const { w, asked } = wakeUps(["run_held"]);
    w.fromStore({
      created: ["run_c"],
      payloads: [
        { runId: "run_mine", lastOwner: "w1" },
        { runId: "run_anyone" },
        { runId: "run_theirs", lastOwner: "w2" },
        { runId: "run_held", lastOwner: "w2" },
      ],
      cancels: ["run_held", "run_gone"],
    });
    w.fromStore({ created: [], payloads: [], cancels: ["run_gone2"] }); // recovery looked for once a second
    expect(asked).toEqual([
      "want run_c",
      "want run_mine",
      "want run_anyone",
      'remind run_held {"inbox":true}',
      'remind run_held {"cancel":true}',
      "recover",
    ]);
  });

  it("on an unspecific change, scan, recover, and kick the held runs the store has news for", async () => {
    await store.createRun({ id: "run_a", workflow: "wf", now: T0 });
    await store.claimRuns({ owner: "w1", now: T0, leaseMs: 60_000, limit: 1, workflows: ["wf"] });
    const [res] = await store.commit([
      {
        runId: "run_a",
        owner: "w1",
        expectedSeq: 1,
        events: [{ type: "hook.created", callSeq: 1, hookId: "hook_A", token: "tok", kind: "hook" }],
        registerHooks: [{ hookId: "hook_A", token: "tok", kind: "hook", adoptEarly: true }],
        now: T0,
      },
    ]);
    expect(res?.ok).toBe(true);
    expect((await store.resumeHook({ token: "tok", payload: "1", ifMissing: "error", now: T0 })).status).toBe(
      "accepted",
    );
    const { w, asked } = wakeUps(["run_a"]);
    w.fromStore();
    await new Promise((r) => setTimeout(r, 20));
    expect(asked).toEqual(["scan", "recover", 'kick run_a {"inbox":true,"cancel":true}']);
  });
});
