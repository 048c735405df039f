/**
 * Whether a process on this machine still exists, from Linux's /proc. Processes sharing one SQLite
 * file are on one machine, so a claim that finds a run held by a process that is gone can take it
 * at once instead of waiting out its lease. Every answer errs towards "alive": a wrong "gone" would
 * let two processes run one step, a wrong "alive" only costs the lease.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** A process, told apart from a later one that reuses its pid. */
export interface ProcessIdentity {
  pid: number;
  /** Field 22 of /proc/<pid>/stat: clock ticks from boot to the process's start. */
  started: string;
  /**
   * The boot and pid namespace the pid is valid in (`<boot id>/<pid namespace>`): two containers
   * on one host sharing a volume, or one host after a reboot, give different answers, and then the
   * other's pid means nothing here.
   */
  machine: string;
}

/** Field 3 (state) and field 22 (start time) of a /proc/<pid>/stat line. */
function parseStat(text: string): { state: string; started: string } | undefined {
  // Field 2 is the command name in parentheses and may itself hold spaces and ")".
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const state = fields[0];
  const started = fields[19];
  return state && started && /^\d+$/.test(started) ? { state, started } : undefined;
}

let self: ProcessIdentity | null | undefined;

/** This process, or undefined where /proc cannot tell (macOS, Windows, a locked-down sandbox). */
export function currentProcess(): ProcessIdentity | undefined {
  if (self === undefined) {
    try {
      const stat = parseStat(readFileSync("/proc/self/stat", "utf8"));
      const boot = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
      const namespace = readlinkSync("/proc/self/ns/pid");
      self =
        stat && boot && namespace
          ? { pid: process.pid, started: stat.started, machine: `${boot}/${namespace}` }
          : null;
    } catch {
      self = null;
    }
  }
  return self ?? undefined;
}

/**
 * True only when `holder` certainly no longer runs: it was recorded on this machine (same boot and
 * pid namespace as this process) and its pid is gone, reused by a process started at another
 * time, or a zombie (killed, not yet reaped by its parent: it will never write again). A stopped
 * (SIGSTOP) process is alive. Anything this process cannot read is "alive".
 */
export function processGone(holder: ProcessIdentity): boolean {
  const here = currentProcess();
  if (!here || holder.machine !== here.machine) return false;
  let text: string;
  try {
    text = readFileSync(`/proc/${holder.pid}/stat`, "utf8");
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ENOENT";
  }
  const stat = parseStat(text);
  if (!stat) return false;
  if (stat.started !== holder.started) return true;
  if (stat.state !== "Z" && stat.state !== "X") return false;
  // A zombie leader whose other threads still run is a live process (its main thread exited).
  try {
    return readdirSync(`/proc/${holder.pid}/task`).length <= 1;
  } catch {
    return false;
  }
}
