import { VirtualClock } from "../runtime/clock.js";
import { createLatch, type Latch, type LatchOptions } from "../runtime/engine.js";
import { silentLogger } from "../runtime/logger.js";
import type { Workflow } from "../workflow/define-workflow.js";

export { VirtualClock };

/** What a mock is given: the hook being answered. */
export interface MockedHook {
  token: string;
  name: string | undefined;
  runId: string;
  metadata: unknown;
}

export interface TestLatchOptions {
  workflows: Workflow[];
  /** Answers hooks by name at once: a payload, or a function of the hook returning one. */
  mockHooks?: Record<string, unknown | ((hook: MockedHook) => unknown)>;
  /** Where virtual time starts (default 2030-01-01T00:00:00Z). */
  startAt?: number | Date;
  /** Extra engine options (a store URL to test against a file, a logger…). */
  options?: Partial<Omit<LatchOptions, "workflows" | "clock">>;
}

export interface TestLatch extends Latch {
  /** Virtual time: `await t.clock.advance("7d")` fires due sleeps and hook timeouts, then waits for the runs. */
  readonly clock: VirtualClock;
  /** Hooks created so far (counted once each, never again on replay). */
  readonly hookCount: number;
  /** Hooks created so far, by name. */
  readonly hookCounts: Readonly<Record<string, number>>;
}

/**
 * An engine for tests: in-memory SQLite, a virtual clock, hooks answered by `mockHooks`.
 * @example
 * const t = await createTestLatch({ workflows: [orderApproval], mockHooks: { manager_approval: { approved: true, reviewer: "t" } } });
 * expect(await (await t.start(orderApproval, "o-1")).result()).toEqual({ status: "fulfilled" });
 * expect(t.hookCount).toBe(1);
 */
export async function createTestLatch(options: TestLatchOptions): Promise<TestLatch> {
  const clock = new VirtualClock(options.startAt);
  const counts: Record<string, number> = {};
  let total = 0;
  let latch: Latch | undefined;
  const mocks = options.mockHooks ?? {};
  latch = await createLatch({
    store: "sqlite::memory:",
    logger: silentLogger,
    ...options.options,
    workflows: options.workflows,
    clock,
    onHookRegistered: (hook) => {
      total++;
      const name = hook.name ?? "(unnamed)";
      counts[name] = (counts[name] ?? 0) + 1;
      if (hook.name === undefined || !(hook.name in mocks)) return;
      const mock = mocks[hook.name];
      const info: MockedHook = {
        token: hook.token,
        name: hook.name,
        runId: hook.execution.runId,
        metadata: hook.metadata,
      };
      setImmediate(() => {
        Promise.resolve(typeof mock === "function" ? (mock as (h: MockedHook) => unknown)(info) : mock)
          .then((payload) => latch!.resumeHook(hook.token, payload))
          .catch((err) => console.error(`[latch/testing] mock for hook ${hook.name} failed:`, err));
      });
    },
  });
  clock.afterAdvance = () => latch!.idle({ untilBlocked: true });
  return Object.defineProperties(latch, {
    clock: { value: clock },
    hookCount: { get: () => total },
    hookCounts: { get: () => ({ ...counts }) },
  }) as unknown as TestLatch;
}
