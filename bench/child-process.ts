/**
 * Child processes of the benches (worker and client processes), both sides of the conversation:
 * the bench spawns `node --import tsx bench/<script> …args` with an IPC channel (`BenchChild`); the
 * child answers through `toParent` / `serveParent`. Every child spawned here is tracked, so
 * `stopChildren()` leaves none behind, and a child whose bench went away exits by itself.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const benchDir = dirname(fileURLToPath(import.meta.url));
const live = new Set<BenchChild>();

/** A message between a bench and its children; `type` says what it is. */
export interface ChildMessage {
  type: string;
  [key: string]: unknown;
}

export class BenchChild {
  readonly process: ChildProcess;
  /** Resolves with the exit code, or the name of the signal that ended the child. */
  readonly exited: Promise<number | string>;
  /** Resolves when the child sends `{ type: "ready" }`. */
  readonly ready: Promise<ChildMessage>;
  private readonly handlers = new Set<(message: ChildMessage) => void>();

  constructor(
    readonly script: string,
    args: string[],
  ) {
    this.process = spawn(
      process.execPath,
      [
        ...(process.env.LATCH_BENCH_NODE_FLAGS?.split(" ").filter(Boolean) ?? []),
        "--import",
        "tsx",
        join(benchDir, script),
        ...args,
      ],
      {
        cwd: join(benchDir, ".."),
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      },
    );
    live.add(this);
    this.exited = new Promise((resolve) => {
      this.process.once("exit", (code, signal) => {
        live.delete(this);
        resolve(signal ?? code ?? -1);
      });
    });
    this.process.on("message", (m) => {
      for (const handler of [...this.handlers]) handler(m as ChildMessage);
    });
    this.ready = this.next("ready");
    // Children that never send "ready" (clients) must not leave an unhandled rejection behind.
    this.ready.catch(() => {});
  }

  get pid(): number {
    return this.process.pid ?? -1;
  }

  get alive(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  /** Calls `handler` with every message from the child; returns the unsubscribe function. */
  on(handler: (message: ChildMessage) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /** The next message for which `match` holds; rejects if the child exits or stays silent first. */
  next(type: string, match: (m: ChildMessage) => boolean = () => true, timeoutMs = 120_000) {
    return new Promise<ChildMessage>((resolve, reject) => {
      const done = (err?: Error, message?: ChildMessage) => {
        off();
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(message!);
      };
      const off = this.on((m) => {
        if (m.type === type && match(m)) done(undefined, m);
      });
      const timer = setTimeout(
        () => done(new Error(`${this.describe()}: no "${type}" message within ${timeoutMs} ms`)),
        timeoutMs,
      );
      void this.exited.then((how) => done(new Error(`${this.describe()} exited (${how}) before "${type}"`)));
    });
  }

  send(message: ChildMessage): void {
    if (this.process.connected) this.process.send(message);
  }

  /** SIGKILL: no clean-up, no last write in the child. Resolves once it is gone. */
  async kill(): Promise<void> {
    if (this.alive) this.process.kill("SIGKILL");
    await this.exited;
  }

  /** Asks the child to close and exit; SIGKILL when it has not after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.alive) return;
    this.send({ type: "stop" });
    const timer = setTimeout(() => this.process.kill("SIGKILL"), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  describe(): string {
    return `${this.script} (pid ${this.pid})`;
  }
}

/** Stops every child this process started and is still running. */
export async function stopChildren(graceMs?: number): Promise<void> {
  await Promise.all([...live].map((c) => c.stop(graceMs)));
}

/** In a child: sends a message to the bench (dropped when the bench is gone). */
export function toParent(message: ChildMessage): void {
  if (process.connected) process.send!(message);
}

/**
 * In a child: dispatches the bench's messages by `type`. `{ type: "stop" }` runs `onStop` and exits;
 * losing the bench (it exited or was killed) exits at once, so no child outlives its bench.
 */
export function serveParent(
  handlers: Record<string, (message: ChildMessage) => void>,
  onStop: () => Promise<void>,
): void {
  process.on("message", (m: ChildMessage) => {
    if (m.type === "stop") {
      void onStop().then(
        () => process.exit(0),
        (err) => {
          console.error(err);
          process.exit(1);
        },
      );
    } else handlers[m.type]?.(m);
  });
  process.on("disconnect", () => process.exit(1));
}
