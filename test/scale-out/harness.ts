/**
 * Several real worker processes on one PostgreSQL database: spawn `scale-worker.ts`, read its
 * stdout, SIGKILL / SIGSTOP / SIGCONT it. Every child spawned here is tracked so `killAll()`
 * (afterEach) leaves none behind, frozen ones included.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Client, createClient, type EventRecord, type RunInfo } from "../../src/index.js";
import { startTestPostgres, type TestPostgres } from "../support/postgres.js";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, "..", "..");
const workerScript = join(here, "scale-worker.ts");
const live = new Set<WorkerProcess>();

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

export interface WorkerOptions {
  leaseMs?: number;
  /** Runs claimed per query; small values spread a burst of runs over the workers. */
  claimBatch?: number;
}

export class WorkerProcess {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  stderr = "";
  readonly exited: Promise<number | string | null>;
  private readonly waiters: { re: RegExp; resolve(line: string): void }[] = [];

  constructor(cluster: Cluster, options: WorkerOptions = {}) {
    this.child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        workerScript,
        cluster.url,
        cluster.markers,
        String(options.leaseMs ?? 1000),
        String(options.claimBatch ?? 256),
      ],
      { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] },
    );
    live.add(this);
    this.exited = new Promise((resolve) => {
      this.child.once("exit", (code, signal) => {
        live.delete(this);
        resolve(signal ?? code);
      });
    });
    let partial = "";
    this.child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      partial += chunk;
      const parts = partial.split("\n");
      partial = parts.pop() ?? "";
      for (const line of parts) this.onLine(line);
    });
    this.child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      this.stderr += chunk;
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  private onLine(line: string): void {
    this.lines.push(line);
    for (const w of [...this.waiters]) {
      if (w.re.test(line)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  }

  /** The first line (already printed or to come) matching `re`. */
  waitFor(re: RegExp, timeoutMs = 15_000): Promise<string> {
    const seen = this.lines.find((l) => re.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = {
        re,
        resolve: (line: string) => {
          clearTimeout(timer);
          resolve(line);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(
          new Error(`worker ${this.pid}: no line matching ${re} within ${timeoutMs} ms\n${this.describe()}`),
        );
      }, timeoutMs);
      this.waiters.push(waiter);
      void this.exited.then((how) => {
        if (!this.waiters.includes(waiter)) return;
        clearTimeout(timer);
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`worker ${this.pid} exited (${how}) before printing ${re}\n${this.describe()}`));
      });
    });
  }

  /** SIGKILL: no cleanup, no last write; resolves once the process is gone. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      // A frozen process must be continued to die promptly on some kernels; KILL works regardless.
      this.child.kill("SIGKILL");
    }
    await this.exited;
  }

  describe(): string {
    return `stdout:\n${this.lines.slice(-40).join("\n")}\nstderr:\n${this.stderr.slice(-4000)}`;
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
export async function killAll(): Promise<void> {
  await Promise.all([...live].map((w) => w.kill()));
}

/** The pids that executed the step of the run, one per execution, in every process. */
export function executions(cluster: Cluster, runId: string, step: string): number[] {
  const file = join(cluster.markers, `${runId}.${step}`);
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean).map(Number) : [];
}

/** Polls `probe` until it returns a value other than undefined. */
export async function until<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
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

type Ev<T extends EventRecord["type"]> = Extract<EventRecord, { type: T }>;

export function ofType<T extends EventRecord["type"]>(events: EventRecord[], type: T): Ev<T>[] {
  return events.filter((e): e is Ev<T> => e.type === type);
}

/** A compact event log for failure messages. */
export function logText(events: EventRecord[]): string {
  return events
    .map((e) => {
      const { seq, type, at: _at, ...rest } = e as unknown as Record<string, unknown>;
      return `${String(seq).padStart(3)} ${String(type).padEnd(15)} ${JSON.stringify(rest).slice(0, 140)}`;
    })
    .join("\n");
}
