import { afterEach, beforeEach } from "vitest";
import type { LatchEvent } from "../../src/replay/events.js";
import type { CommitResult, HookRegistration, RunCommit } from "../../src/store/records.js";
import type { Store } from "../../src/store/store.js";

/** How the conformance suite gets stores of one implementation. */
export interface StoreHarness {
  /** A new, empty store. */
  open(): Promise<Store>;
  /**
   * A second handle on the same data, as another process would have. Absent when the store cannot
   * be shared (SQLite ":memory:"); the tests that need two handles are then not registered.
   */
  reopen?(store: Store): Promise<Store>;
  /** Resolves once `watch` on this store is live (stores that connect a listener in the background). */
  watchReady?(store: Store): Promise<void>;
}

/** A fixed clock origin: every time in the suite is T0 + something, passed in as `now`. */
export const T0 = 1_700_000_000_000;
export const LEASE = 30_000;
export const WF = "wf";

/** Opens a fresh store before each test and closes every handle opened during it afterwards. */
export function useStores(h: StoreHarness): { store(): Store; reopen(): Promise<Store> } {
  let current: Store | undefined;
  const opened: Store[] = [];
  beforeEach(async () => {
    current = await h.open();
    opened.push(current);
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
    current = undefined;
  });
  return {
    store: () => current!,
    async reopen() {
      const other = await h.reopen!(current!);
      opened.push(other);
      return other;
    },
  };
}

/** Small helpers that speak the store's language, so each test reads as the behaviour it checks. */
export function helpers(store: () => Store) {
  const s = store;
  return {
    createRun(id: string, opts: { workflow?: string; now?: number; input?: string } = {}) {
      return s().createRun({ id, workflow: opts.workflow ?? WF, now: opts.now ?? T0, input: opts.input });
    },
    async claim(
      owner = "w1",
      opts: { now?: number; limit?: number; workflows?: string[]; leaseMs?: number } = {},
    ) {
      return s().claimRuns({
        owner,
        now: opts.now ?? T0,
        leaseMs: opts.leaseMs ?? LEASE,
        limit: opts.limit ?? 100,
        workflows: opts.workflows ?? [WF],
      });
    },
    async commit(c: Partial<RunCommit> & Pick<RunCommit, "runId" | "expectedSeq">): Promise<CommitResult> {
      const [res] = await s().commit([{ owner: "w1", events: [], now: T0, ...c }]);
      return res!;
    },
    /** Creates a run and claims it as `owner`; returns its seq (1). */
    async started(id: string, owner = "w1", now = T0): Promise<number> {
      await s().createRun({ id, workflow: WF, now });
      const claimed = await s().claimRuns({ owner, now, leaseMs: LEASE, limit: 100, workflows: [WF] });
      const mine = claimed.find((c) => c.run.id === id);
      if (!mine) throw new Error(`run ${id} was not claimed`);
      return mine.run.seq;
    },
    /** A commit that registers one hook and suspends on it (released; woken by a payload or its expiry). */
    suspendOnHook(
      runId: string,
      expectedSeq: number,
      hook: Partial<HookRegistration> & Pick<HookRegistration, "hookId" | "token">,
      opts: { owner?: string; now?: number } = {},
    ): Promise<CommitResult> {
      const reg: HookRegistration = { kind: "hook", adoptEarly: false, ...hook };
      const created: LatchEvent = {
        type: "hook.created",
        callSeq: 1,
        hookId: reg.hookId,
        token: reg.token,
        kind: reg.kind,
        name: reg.name,
        expiresAt: reg.expiresAt,
      };
      return this.commit({
        runId,
        expectedSeq,
        owner: opts.owner ?? "w1",
        now: opts.now ?? T0,
        events: [created, { type: "run.suspended", wakeAt: reg.expiresAt }],
        registerHooks: [reg],
        status: "suspended",
        release: { wakeAt: reg.expiresAt },
      });
    },
  };
}

/** The seq a successful commit returned (fails the test with the reason otherwise). */
export function okSeq(res: CommitResult): number {
  if (!res.ok) throw new Error(`commit refused: ${JSON.stringify(res)}`);
  return res.seq;
}
