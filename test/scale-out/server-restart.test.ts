/**
 * The PostgreSQL server stopped and restarted while three workers and a client use it: calls made
 * during the outage fail at once with a retryable StoreUnavailableError (none hangs), workers and
 * clients reconnect on their own, every run completes, nothing recorded before the outage is
 * lost, and no step outcome is recorded twice.
 */
import { expect, it } from "vitest";
import { type RunEvent, StoreUnavailableError } from "../../src/index.js";
import { logText, ofType, pendingHook, runEnded, startWorkers, useCluster } from "./harness.js";

const cluster = useCluster();

it("workers and clients carry on after a server restart; nothing recorded is lost or doubled", async () => {
  await startWorkers(cluster, 3, { leaseMs: 1000, claimBatch: 4 });
  const N = 24;
  const runs = await Promise.all(
    Array.from({ length: N }, (_, i) => cluster.client.start("scale_approval", i)),
  );
  const hooks = await Promise.all(runs.map((r) => pendingHook(cluster, r.id)));

  // Half the payloads go out, and runs whose first step takes 400 ms start: the server stops while
  // those steps run, so their outcomes meet the outage when the workers try to record them.
  const firstHalf = hooks.slice(0, N / 2);
  await Promise.all(firstHalf.map((h) => cluster.client.resumeHook(h.token, { ok: true })));
  const slow = await Promise.all(Array.from({ length: 6 }, () => cluster.client.start("scale_slow", 400)));
  const before = new Map<string, RunEvent[]>();
  for (const r of [...runs, ...slow]) before.set(r.id, await cluster.client.events(r.id));
  await cluster.pg.stopServer();

  const started = Date.now();
  const err = await cluster.client.resumeHook(hooks[N - 1]!.token, { ok: true }).catch((e) => e);
  expect(StoreUnavailableError.is(err), String(err)).toBe(true);
  expect(err.message).toContain("safe to retry");
  expect(Date.now() - started).toBeLessThan(5000);
  await new Promise((r) => setTimeout(r, 1500));
  await cluster.pg.startServer();

  // The rest of the payloads, retried by the client until the store answers again.
  for (const h of hooks.slice(N / 2)) {
    for (let attempt = 0; ; attempt++) {
      try {
        await cluster.client.resumeHook(h.token, { ok: true }, { idempotencyKey: `resume-${h.token}` });
        break;
      } catch (e) {
        if (!StoreUnavailableError.is(e) || attempt > 100) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  const ended = await Promise.all(runs.map((r) => runEnded(cluster, r.id, 40_000)));
  for (const run of ended) {
    const events = await cluster.client.events(run.id);
    expect(run.status, logText(events)).toBe("succeeded");
    // Recorded before the outage is still there, unchanged, at the same positions.
    expect(events.slice(0, before.get(run.id)!.length)).toEqual(before.get(run.id));
    expect(ofType(events, "step.completed").map((e) => e.name)).toEqual(["before", "after"]);
    expect(ofType(events, "hook.received")).toHaveLength(1);
  }
  for (const run of slow) {
    const done = await runEnded(cluster, run.id, 40_000);
    const events = await cluster.client.events(run.id);
    expect(done.status, logText(events)).toBe("succeeded");
    expect(events.slice(0, before.get(run.id)!.length)).toEqual(before.get(run.id));
    // A step cut off by the outage ran again (at least once), but its outcome is recorded once.
    expect(ofType(events, "step.completed").map((e) => e.name)).toEqual(["a", "b"]);
  }
}, 60_000);
