/**
 * Real worker processes for the crash tests: spawn `crash-worker.ts` on a temporary SQLite file,
 * watch its stdout, SIGKILL it. Every child spawned here is tracked so `killAll()` (afterEach)
 * leaves none behind.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach } from "vitest";
import { type Client, createClient, type RunInfo } from "../../src/index.js";
import { ChildWorker, killAllChildren, logText, ofType, until } from "../support/child-worker.js";

const here = dirname(fileURLToPath(import.meta.url));
const workerScript = join(here, "crash-worker.ts");

export interface Space {
  dir: string;
  dbFile: string;
  markers: string;
  client: Client;
  cleanup(): Promise<void>;
}

/** A temporary folder with a database file, a marker folder and a client on the file. */
export async function makeSpace(): Promise<Space> {
  const dir = mkdtempSync(join(tmpdir(), "latch-crash-"));
  const dbFile = join(dir, "latch.db");
  const client = await createClient({ store: `sqlite:${dbFile}` });
  return {
    dir,
    dbFile,
    markers: dir,
    client,
    async cleanup() {
      await client.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Worker options of a crash-worker.ts child: `leaseMs: "default"` leaves the engine's default (30 s). */
export interface WorkerProcessOptions {
  leaseMs?: number | "default";
}

/** A crash-worker.ts child on the space's SQLite file. */
export class WorkerProcess extends ChildWorker {
  constructor(space: Space, options: WorkerProcessOptions = {}) {
    super(workerScript, [space.dbFile, space.markers, String(options.leaseMs ?? 1000)]);
  }
}

/** Spawns a worker and waits until it runs. */
export async function startWorker(space: Space, options: WorkerProcessOptions = {}): Promise<WorkerProcess> {
  const w = new WorkerProcess(space, options);
  await w.waitFor(/^ready /, 20_000);
  return w;
}

/**
 * A fresh space per test, and every worker killed and the space removed after it. Returns one stable
 * object whose fields are refilled before each test, so test code reads `space.dbFile` as usual.
 */
export function useSpace(): Space {
  const space = {} as Space;
  beforeEach(async () => {
    Object.assign(space, await makeSpace());
  });
  afterEach(async () => {
    await killAll();
    await space.cleanup();
  });
  return space;
}

/** Kills every worker still alive (afterEach). */
export const killAll = killAllChildren;

/** How many times the step ran, in every process, by its marker file. */
export function executions(space: Space, runId: string, step: string): number {
  const file = join(space.markers, `${runId}.${step}`);
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean).length : 0;
}

/** Waits for the run to reach a status (polled, the worker is another process). */
export function runInStatus(
  space: Space,
  runId: string,
  status: RunInfo["status"],
  timeoutMs = 15_000,
): Promise<RunInfo> {
  return until(
    async () => {
      const run = await space.client.getRun(runId);
      return run?.status === status ? run : undefined;
    },
    `run ${runId} to be ${status}`,
    timeoutMs,
  );
}

/** Waits for the run to end (polled every 5 ms) and returns it, whatever its end. */
export function runEnded(space: Space, runId: string, timeoutMs = 15_000): Promise<RunInfo> {
  return until(
    async () => {
      const run = await space.client.getRun(runId);
      return run && ["succeeded", "failed", "cancelled", "timed_out"].includes(run.status) ? run : undefined;
    },
    `run ${runId} to end`,
    timeoutMs,
  );
}

/** The pending hook of a run, once it has one. */
export async function pendingHook(space: Space, runId: string, timeoutMs = 15_000) {
  return until(
    async () => (await space.client.hooks.list({ status: "pending", runId })).items[0],
    `a pending hook on run ${runId}`,
    timeoutMs,
  );
}

export { logText, ofType, until };
