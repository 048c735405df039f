import { execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Latch } from "../../src/runtime/engine.js";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const FIXTURES = join(ROOT, "test/cli/fixtures/workflows.ts");
// The CLI from source, through tsx's loader, as `npm run dev` runs it: no build needed.
export const NODE_ARGS = [
  "--import",
  join(ROOT, "node_modules/tsx/dist/loader.mjs"),
  join(ROOT, "src/cli/main.ts"),
];

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `latch <args>` as a subprocess (stdin closed: not a terminal), in the repository unless `cwd`. */
export function cli(args: string[], env: Record<string, string> = {}, cwd = ROOT): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [...NODE_ARGS, ...args],
      { cwd, env: { ...process.env, NO_COLOR: "1", ...env }, timeout: 90_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });
}

/** Starts a long-running `latch` command (dev, worker, serve); `lines` collects its stdout. */
export function cliProcess(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [...NODE_ARGS, ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: "1", ...env },
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => {
    out += d;
  });
  child.stderr.on("data", (d) => {
    err += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    child,
    exited,
    output: () => out,
    errors: () => err,
    /** Resolves with the first match of `pattern` in stdout (30 s at most). */
    async waitFor(pattern: RegExp): Promise<RegExpMatchArray> {
      for (let i = 0; i < 1200; i++) {
        const m = out.match(pattern);
        if (m) return m;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`never printed ${pattern}:\n${out}\n${err}`);
    },
  };
}

/** Drives an interactive command through a pseudo-terminal (see pty-driver.py). */
export function cliPty(steps: { expect: string; send: string }[], args: string[]) {
  return new Promise<{ exitCode: number | null; failed: string | null; output: string }>(
    (resolve, reject) => {
      execFile(
        "python3",
        [
          join(ROOT, "test/cli/pty-driver.py"),
          JSON.stringify(steps),
          process.execPath,
          ...NODE_ARGS,
          ...args,
        ],
        { cwd: ROOT, timeout: 60_000 },
        (err, stdout, stderr) =>
          err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout)),
      );
    },
  );
}

export function tempDb(): { url: string; dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), "latch-cli-"));
  return {
    url: `sqlite:${join(dir, "latch.db")}`,
    dir,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Waits (in the test's own engine) until the run has a pending hook, and returns its token. */
export async function pendingToken(latch: Latch, runId: string): Promise<string> {
  for (let i = 0; i < 1200; i++) {
    const [hook] = (await latch.hooks.list({ status: "pending", runId })).items;
    if (hook) return hook.token;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`run ${runId} never waited on a hook`);
}
