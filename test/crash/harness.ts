/**
 * Real worker processes for the crash tests: spawn `crash-worker.ts` on a temporary SQLite file,
 * watch its stdout, SIGKILL it. Every child spawned here is tracked so `killAll()` (afterEach)
 * leaves none behind.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Client, createClient, type EventRecord, type RunInfo } from "../../src/index.js";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, "..", "..");
const workerScript = join(here, "crash-worker.ts");

const live = new Set<WorkerProcess>();

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

export class WorkerProcess {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  stderr = "";
  private readonly waiters: { re: RegExp; resolve(line: string): void }[] = [];
  readonly exited: Promise<number | string | null>;

  constructor(space: Space, options: { leaseMs?: number } = {}) {
    this.child = spawn(
      process.execPath,
      ["--import", "tsx", workerScript, space.dbFile, space.markers, String(options.leaseMs ?? 1000)],
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
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(
          new Error(`worker ${this.pid}: no line matching ${re} within ${timeoutMs} ms\n${this.describe()}`),
        );
      }, timeoutMs);
      const waiter = {
        re,
        resolve: (line: string) => {
          clearTimeout(timer);
          resolve(line);
        },
      };
      this.waiters.push(waiter);
      this.exited.then((how) => {
        if (!this.waiters.includes(waiter)) return;
        clearTimeout(timer);
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`worker ${this.pid} exited (${how}) before printing ${re}\n${this.describe()}`));
      });
    });
  }

  /** SIGKILL: no cleanup, no last write; resolves once the process is gone. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
    await this.exited;
  }

  describe(): string {
    return `stdout:\n${this.lines.join("\n")}\nstderr:\n${this.stderr}`;
  }
}

/** Spawns a worker and waits until it runs. */
export async function startWorker(space: Space, options: { leaseMs?: number } = {}): Promise<WorkerProcess> {
  const w = new WorkerProcess(space, options);
  await w.waitFor(/^ready /, 20_000);
  return w;
}

/** Kills every worker still alive (afterEach). */
export async function killAll(): Promise<void> {
  await Promise.all([...live].map((w) => w.kill()));
}

/** How many times the step ran, in every process, by its marker file. */
export function executions(space: Space, runId: string, step: string): number {
  const file = join(space.markers, `${runId}.${step}`);
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean).length : 0;
}

/** Polls `probe` until it returns a value other than undefined. */
export async function until<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
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

type Ev<T extends EventRecord["type"]> = Extract<EventRecord, { type: T }>;

/** Events of one type. */
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
