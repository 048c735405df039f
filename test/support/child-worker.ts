/**
 * A real child process for tests that kill, freeze and restart workers: spawned with
 * `node --import tsx <script> …args`, its stdout read line by line, SIGKILLed at will. Every child
 * is tracked so `killAllChildren()` (afterEach) leaves none behind, frozen ones included.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { RunEvent } from "../../src/index.js";

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const live = new Set<ChildWorker>();

export class ChildWorker {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  stderr = "";
  readonly exited: Promise<number | string | null>;
  private readonly waiters: { re: RegExp; resolve(line: string): void }[] = [];

  constructor(script: string, args: string[]) {
    this.child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"],
    });
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

  /** SIGKILL (works on a frozen process too): no cleanup, no last write; resolves once it is gone. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
    await this.exited;
  }

  describe(): string {
    return `stdout:\n${this.lines.slice(-40).join("\n")}\nstderr:\n${this.stderr.slice(-4000)}`;
  }
}

/** Kills every child still alive (afterEach). */
export async function killAllChildren(): Promise<void> {
  await Promise.all([...live].map((w) => w.kill()));
}

/** Polls `probe` until it returns a value other than undefined. */
export async function until<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 15_000,
  everyMs = 5,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

type Ev<T extends RunEvent["type"]> = Extract<RunEvent, { type: T }>;

/** Events of one type. */
export function ofType<T extends RunEvent["type"]>(events: RunEvent[], type: T): Ev<T>[] {
  return events.filter((e): e is Ev<T> => e.type === type);
}

/** A compact event log for failure messages. */
export function logText(events: RunEvent[]): string {
  return events
    .map((e) => {
      const { seq, type, at: _at, ...rest } = e as unknown as Record<string, unknown>;
      return `${String(seq).padStart(3)} ${String(type).padEnd(15)} ${JSON.stringify(rest).slice(0, 140)}`;
    })
    .join("\n");
}
