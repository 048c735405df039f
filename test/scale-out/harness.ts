/**
 * Several real worker processes on one PostgreSQL database: spawn `scale-worker.ts`, read its
 * stdout, SIGKILL / SIGSTOP / SIGCONT it. Every child spawned here is tracked so `killAll()`
 * (afterEach) leaves none behind, frozen ones included.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll } from "vitest";
import { type Client, createClient, type RunInfo } from "../../src/index.js";
import {
  ChildWorker,
  killAllChildren,
  logText,
  ofType,
  until as pollUntil,
} from "../support/child-worker.js";
import { startTestPostgres, type TestPostgres } from "../support/postgres.js";

const here = dirname(fileURLToPath(import.meta.url));
const workerScript = join(here, "scale-worker.ts");

export interface Cluster {
  pg: TestPostgres;
  /** The database every process of this test file shares. */
  url: string;
  markers: string;
  /** A client in this (the test) process: starts runs and sends payloads, runs no workflow code. */
  client: Client;
  close(): Promise<void>;
}

/** A PostgreSQL database, a marker folder and a client; workers are started per test. */
export async function makeCluster(): Promise<Cluster> {
  const pg = await startTestPostgres();
  const markers = mkdtempSync(join(tmpdir(), "latch-scale-"));
  const client = await createClient({ store: pg.url });
  return {
    pg,
    url: pg.url,
    markers,
    client,
    async close() {
      await killAll();
      await client.close();
      await pg.close();
      rmSync(markers, { recursive: true, force: true });
    },
  };
}

/**
 * One cluster for the test file (started before its first test, closed after its last), every
 * worker killed after each test. Returns one stable object whose fields are filled in beforeAll.
 */
export function useCluster(): Cluster {
  const cluster = {} as Cluster;
  beforeAll(async () => {
    Object.assign(cluster, await makeCluster());
  }, 60_000);
  afterEach(() => killAll());
  afterAll(() => cluster.close?.());
  return cluster;
}

export interface WorkerOptions {
  leaseMs?: number;
  /** Runs claimed per query; small values spread a burst of runs over the workers. */
  claimBatch?: number;
}

/** A scale-worker.ts child on the cluster's PostgreSQL database. */
export class WorkerProcess extends ChildWorker {
  constructor(cluster: Cluster, options: WorkerOptions = {}) {
    super(workerScript, [
      cluster.url,
      cluster.markers,
      String(options.leaseMs ?? 1000),
      String(options.claimBatch ?? 256),
    ]);
  }
}

/** Spawns workers and waits until they all run. */
export async function startWorkers(
  cluster: Cluster,
  n: number,
  options: WorkerOptions = {},
): Promise<WorkerProcess[]> {
  const workers = Array.from({ length: n }, () => new WorkerProcess(cluster, options));
  await Promise.all(workers.map((w) => w.waitFor(/^ready /, 30_000)));
  return workers;
}

/** Kills every worker still alive (afterEach / close). */
export const killAll = killAllChildren;

/** The pids that executed the step of the run, one per execution, in every process. */
export function executions(cluster: Cluster, runId: string, step: string): number[] {
  const file = join(cluster.markers, `${runId}.${step}`);
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean).map(Number) : [];
}

/** Polls `probe` (workers are other processes) until it returns a value other than undefined. */
export function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  return pollUntil(probe, what, timeoutMs);
}

const TERMINAL = ["succeeded", "failed", "cancelled", "timed_out"];

/** Waits for the run to end (polled: the workers are other processes) and returns it. */
export function runEnded(cluster: Cluster, runId: string, timeoutMs = 20_000): Promise<RunInfo> {
  return until(
    async () => {
      const run = await cluster.client.getRun(runId);
      return run && TERMINAL.includes(run.status) ? run : undefined;
    },
    `run ${runId} to end`,
    timeoutMs,
  );
}

/** The pending hook of a run, once it has one. */
export function pendingHook(cluster: Cluster, runId: string, timeoutMs = 20_000) {
  return until(
    async () => (await cluster.client.hooks.list({ status: "pending", runId })).items[0],
    `a pending hook on run ${runId}`,
    timeoutMs,
  );
}

export { logText, ofType };
