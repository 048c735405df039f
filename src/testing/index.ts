import { MockPayloadError, PayloadValidationError } from "../errors.js";
import type { HookState } from "../replay/hook-state.js";
import { encodeValue } from "../replay/values.js";
import { createLatch, type Latch, type LatchOptions } from "../runtime/engine.js";
import { silentLogger } from "../runtime/logger.js";
import { validateAgainstJsonSchema } from "../schema/json-validate.js";
import { parseWithSchema } from "../schema/standard.js";
import type { Workflow } from "../workflow/define-workflow.js";
import { VirtualClock } from "./virtual-clock.js";

export { MockPayloadError, VirtualClock };

/** What a mock is given: the hook being answered. */
export interface MockedHook {
  token: string;
  name: string | undefined;
  runId: string;
  metadata: unknown;
}

export interface TestLatchOptions {
  workflows: Workflow[];
  /**
   * Answers hooks by name at once: a payload, or a function of the hook returning one. The payload
   * is checked against the hook's schema first; one that does not match (or a mock that throws) fails
   * the run at once with that error, MockPayloadError naming the mock and the field.
   */
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
    onHookRegistered: async (hook) => {
      total++;
      const name = hook.name ?? "(unnamed)";
      counts[name] = (counts[name] ?? 0) + 1;
      if (hook.name === undefined || !Object.hasOwn(mocks, hook.name)) return;
      // Checked here, before the run goes on: a bad mock fails the run (this throws) at once.
      const payload = await mockPayload(hook, mocks[hook.name]);
      setImmediate(() => {
        latch!
          .resumeHook(hook.token, payload)
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

/**
 * The payload a mock gives this hook, checked as a sender's would be (storable, the stored JSON
 * Schema, the hook's own Standard Schema) but failing the run rather than the sender: a mock is
 * test code, and a run left waiting for a payload that never comes only shows as a test timeout.
 * @throws MockPayloadError, SerializationError naming `mockHooks.<name>`, or what the mock threw.
 */
async function mockPayload(hook: HookState, mock: unknown): Promise<unknown> {
  const name = hook.name!;
  const info: MockedHook = { token: hook.token, name, runId: hook.execution.runId, metadata: hook.metadata };
  const payload = await (typeof mock === "function" ? (mock as (h: MockedHook) => unknown)(info) : mock);
  encodeValue(payload, `mockHooks.${name}`);
  try {
    validateAgainstJsonSchema(hook.jsonSchema, payload, hook.token);
    if (hook.schema) await parseWithSchema(hook.schema, payload, hook.token);
  } catch (err) {
    if (PayloadValidationError.is(err)) throw new MockPayloadError(name, err.issues, hook.token);
    throw err;
  }
  return payload;
}
