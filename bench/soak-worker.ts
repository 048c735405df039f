/**
 * A worker process of the soak (bench/soak.ts): `node --import tsx bench/soak-worker.ts <postgres url> <leaseMs>`.
 * Runs the soak workflow until told to stop or killed; sends the engine's warnings and errors to the
 * soak over IPC (`log {level, message}`) so it can count them.
 */
import { createHook, createLatch, defineWorkflow, step } from "../src/index.js";
import { serveParent, toParent } from "./child-process.js";

const [url, leaseArg] = process.argv.slice(2);
if (!url) {
  console.error("usage: soak-worker.ts <postgres url> [leaseMs]");
  process.exit(2);
}

/** How long each "apply" step takes: long enough that some kills land inside a step. */
const APPLY_MS = 5;

/**
 * step → a hook with a custom token that takes `payloads` payloads, each applied by a step → step.
 * The output is checked by the soak: `{ token, n: payloads, sum: 0 + 1 + … + (payloads - 1) }`.
 */
const soak = defineWorkflow("bench_soak", async (token: string, payloads: number) => {
  const prepared = await step("prepare", () => token);
  const hook = createHook<{ k: number }>({ token: prepared });
  let n = 0;
  let sum = 0;
  for await (const { k } of hook) {
    sum += await step("apply", () => new Promise<number>((r) => setTimeout(() => r(k), APPLY_MS)));
    if (++n === payloads) break;
  }
  return step("finish", () => ({ token, n, sum }));
});

const latch = await createLatch({
  workflows: [soak],
  store: url,
  worker: { leaseMs: Number(leaseArg ?? 5000) },
  logger: {
    warn: (message) => toParent({ type: "log", level: "warn", message }),
    error: (message) => toParent({ type: "log", level: "error", message }),
  },
});
serveParent({}, () => latch.close());
toParent({ type: "ready" });
