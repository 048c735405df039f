/**
 * The workflows of the hook round-trip bench, shared by bench/hook-roundtrip.ts (worker in the bench
 * process) and bench/roundtrip-worker.ts (worker processes), so both run exactly the same code.
 */
import { createHook, defineWorkflow, type StepInterceptor, step, type WorkerOptions } from "../src/index.js";
import { LIFECYCLE_HOOKS } from "../src/lifecycle/types.js";

/**
 * Worker settings of every bench worker, in the bench process or a worker process.
 * `BENCH_RECORD_DELAY=<ms>` sets recordDelayMs (0: measure what holding step starts saves).
 */
export const BENCH_WORKER: WorkerOptions = {
  concurrency: 2000,
  ...(process.env.BENCH_RECORD_DELAY ? { recordDelayMs: Number(process.env.BENCH_RECORD_DELAY) } : {}),
};

/**
 * `withHooks` adds all nine lifecycle hooks (no-op handlers) to the round-trip workflow and one
 * no-op interceptor, to measure what they cost. `onBatch` is called (in a step) after every
 * 1,000th payload of the iterating run.
 */
export function roundtripWorkflows(options: { withHooks: boolean; onBatch: (n: number) => void }) {
  const noop = () => {};
  const roundtrip = defineWorkflow(
    {
      name: "bench_roundtrip",
      hooks: options.withHooks ? Object.fromEntries(LIFECYCLE_HOOKS.map((h) => [h, noop])) : undefined,
    },
    async (i: number) => {
      const order = await step("prepare", () => ({ i, total: i * 2 }));
      const decision = await createHook<{ ok: boolean }>({ name: "bench_approval" });
      return step("finish", () => ({ ...order, ok: decision.ok }));
    },
  );

  const iterate = defineWorkflow("bench_iterate", async (total: number) => {
    const hook = createHook<number>({ token: ITERATE_TOKEN });
    let n = 0;
    for await (const _ of hook) {
      n++;
      if (n % 1000 === 0) await step("batch", () => options.onBatch(n));
      if (n === total) break;
    }
    return n;
  });

  const interceptors: StepInterceptor[] = options.withHooks
    ? [{ name: "noop", beforeStep: noop, afterStep: noop }]
    : [];
  return { workflows: [roundtrip, iterate], interceptors };
}

/** The custom token of the iterating run's hook. */
export const ITERATE_TOKEN = "bench-iterate";
