import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { currentProcess, type ProcessIdentity, processGone } from "./process-liveness.js";

const linux = existsSync("/proc/self/stat");
const children: ReturnType<typeof spawn>[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});

/** A real child process, started and identified as a store would record it. */
async function child(script: string): Promise<{ proc: ReturnType<typeof spawn>; identity: ProcessIdentity }> {
  const proc = spawn("sh", ["-c", script], { stdio: ["ignore", "pipe", "ignore"] });
  children.push(proc);
  await new Promise((r) => proc.once("spawn", r));
  return { proc, identity: identify(proc.pid!) };
}

function identify(pid: number): ProcessIdentity {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const started = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]!;
  return { pid, started, machine: currentProcess()!.machine };
}

describe.runIf(linux)("process liveness from /proc", () => {
  it("knows this process and calls it alive", () => {
    const self = currentProcess()!;
    expect(self.pid).toBe(process.pid);
    expect(self.started).toMatch(/^\d+$/);
    expect(processGone(self)).toBe(false);
  });

  it("a process that exited is gone; a stopped one is alive", async () => {
    const { proc, identity } = await child("sleep 30");
    proc.kill("SIGSTOP");
    expect(processGone(identity)).toBe(false);
    proc.kill("SIGKILL");
    await new Promise((r) => proc.once("exit", r));
    expect(processGone(identity)).toBe(true);
  });

  it("a pid now used by a process started at another time is gone", () => {
    const self = currentProcess()!;
    expect(processGone({ ...self, started: String(Number(self.started) - 1) })).toBe(true);
  });

  it("a zombie (killed, not yet reaped) is gone", async () => {
    // `sleep` never reaps the background `true`, which stays a zombie while sleep runs.
    const { proc } = await child("true & echo $!; exec sleep 30");
    const pid = Number(
      await new Promise<string>((r) => proc.stdout!.setEncoding("utf8").once("data", (d: string) => r(d))),
    );
    const deadline = Date.now() + 5000;
    let zombie = identify(pid);
    while (!/\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8")) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
      zombie = identify(pid);
    }
    expect(processGone(zombie)).toBe(true);
  });

  it("a holder recorded on another machine or pid namespace is never judged", () => {
    expect(processGone({ pid: 2 ** 22 + 1, started: "1", machine: "another-boot/pid:[1]" })).toBe(false);
  });
});
