/**
 * A worker process for the lifecycle-outbox crash test:
 * `node --import tsx crash-lifecycle-worker.ts <db file> <marker dir> [leaseMs | default]`.
 *
 * It runs `crash_lifecycle`, whose lifecycle handlers (a step's onSuccess, the run's onSuccess and
 * onExit) each append one JSON line to `<marker dir>/<runId>.lifecycle`: the hook, the event id,
 * this pid and the run's status as the handler read it. With `LATCH_KILL_IN_HANDLER=1`, the first
 * run-level onSuccess call in this process writes its line, prints `killing <pid>` and SIGKILLs
 * the process: after the commit of run.succeeded, before the delivery is confirmed and before
 * onExit runs. `ready <pid>` is printed once the worker runs.
 */
import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { createLatch, defineWorkflow, type Latch, type LifecycleEvent, step } from "../../src/index.js";

const [dbFile, markerDir, leaseArg] = process.argv.slice(2);
if (!dbFile || !markerDir) {
  console.error("usage: crash-lifecycle-worker.ts <db file> <marker dir> [leaseMs]");
  process.exit(2);
}
const killInHandler = process.env.LATCH_KILL_IN_HANDLER === "1";

/** One marker line per handler call. */
export interface DeliveryMarker {
  scope: LifecycleEvent["scope"];
  hook: LifecycleEvent["hook"];
  id: string;
  pid: number;
  /** The run's status in the store when the handler ran. */
  status: string | undefined;
}

let latch: Latch | undefined;

async function record(event: LifecycleEvent): Promise<void> {
  const status = (await latch?.getRun(event.runId))?.status;
  const marker: DeliveryMarker = {
    scope: event.scope,
    hook: event.hook,
    id: event.id,
    pid: process.pid,
    status,
  };
  appendFileSync(join(markerDir!, `${event.runId}.lifecycle`), `${JSON.stringify(marker)}\n`);
  console.log(`delivered ${event.runId} ${event.scope}.${event.hook} ${event.id}`);
}

const lifecycle = defineWorkflow(
  {
    name: "crash_lifecycle",
    hooks: {
      onSuccess: async (event) => {
        await record(event);
        if (killInHandler) {
          console.log(`killing ${process.pid}`);
          process.kill(process.pid, "SIGKILL");
          await new Promise<never>(() => {});
        }
      },
      onExit: record,
    },
  },
  async (tag: string) => step("work", () => `${tag}:done`, { hooks: { onSuccess: record } }),
);

latch = await createLatch({
  workflows: [lifecycle],
  store: `sqlite:${dbFile}`,
  // "default": the engine's own lease (30 s), which is also how long its outbox deliveries are held.
  worker: leaseArg === "default" ? {} : { leaseMs: Number(leaseArg ?? 1000) },
});
console.log(`ready ${process.pid}`);

process.on("SIGTERM", () => {
  void latch!.close().then(() => process.exit(0));
});
