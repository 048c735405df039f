import { randomUUID } from "node:crypto";
import type { Clock } from "../clock.js";
import { newHookId } from "../ids.js";
import type { EventRecord, LatchEvent } from "../replay/events.js";
import { Execution } from "../replay/execution.js";
import type { ExecutionHost, RunServices } from "../replay/execution-host.js";
import { decodeValue } from "../replay/values.js";
import type { ClaimedRun, RunRecord } from "../store/records.js";
import type { Store } from "../store/store.js";
import type { Workflow } from "../workflow/define-workflow.js";
import { WarmCache } from "./warm-cache.js";

/** A claimed run ready to be driven. */
export interface LoadedRun {
  workflow: Workflow;
  exec: Execution;
  /** Replayed from its log just now (not found warm): steps cut off and unconfirmed onCreated are looked at. */
  cold: boolean;
  /**
   * The event that opens this claim (run.started, run.resumed), or "timed_out": the workflow
   * timeout passed while the run lay suspended (or cut off by a crash), so it ends timed_out as
   * it lies — nothing resumed, delivered or retried, no onResume — as a cancel of a suspended
   * run does.
   */
  intro: LatchEvent | "timed_out";
  /** Record every step start before the step runs: the run's last worker may have died mid-step. */
  careful: boolean;
}

/**
 * Gets a claimed run's execution: warm from the cache when the log has not moved since this
 * process suspended it (no replay: the pending promise is simply resolved), else cold, replayed
 * from the log. Decides how the claim opens (started, resumed and why, or timed out).
 */
export class RunLoader {
  private readonly warm: WarmCache<Execution>;

  constructor(
    private readonly deps: {
      store: Store;
      clock: Clock;
      workflows: ReadonlyMap<string, Workflow>;
      /** The engine's run context, handed to every execution (webhook URLs, hook definitions). */
      services?: RunServices;
    },
    warmCacheSize: number,
  ) {
    this.warm = new WarmCache(warmCacheSize);
  }

  async load(claim: ClaimedRun): Promise<LoadedRun> {
    const { run } = claim;
    const workflow = this.deps.workflows.get(run.workflow)!;
    let exec = this.warm.take(run.id);
    const cold = !exec || exec.seq !== run.seq;
    let crashed = false;
    if (!exec || cold) {
      // A fresh run's log is just run.created: no need to read it.
      const events = run.seq === 1 ? [] : await this.deps.store.readEvents(run.id);
      // A log that does not end suspended was cut off: its worker died (or lost its lease).
      crashed = run.seq > 1 && events.at(-1)?.type !== "run.suspended";
      exec = await replayRun(workflow, run, events, {
        now: () => this.deps.clock.now(),
        services: this.deps.services,
      });
    }
    const now = this.deps.clock.now();
    let intro: LatchEvent | "timed_out";
    if (run.seq === 1) {
      intro = {
        type: "run.started",
        deadline: workflow.timeoutMs === undefined ? undefined : now + workflow.timeoutMs,
      };
      exec.apply(intro);
    } else if (exec.deadline !== undefined && exec.deadline <= now) {
      // Claimed after its workflow timeout (the deadline was its wake-up, or it came due meanwhile).
      intro = "timed_out";
    } else {
      const reason = crashed
        ? "recovery"
        : run.cancelRequested
          ? "cancel"
          : claim.inbox.length
            ? "payload"
            : "timer";
      intro = { type: "run.resumed", reason };
    }
    return { workflow, exec, cold, intro, careful: crashed || claim.recovered };
  }

  /** Keeps a suspended run's execution for a warm resume. */
  keepWarm(runId: string, exec: Execution): void {
    this.warm.put(runId, exec);
  }

  clear(): void {
    this.warm.clear();
  }
}

/**
 * Re-executes a run of `workflow` from its log: a new execution, at the log's last position.
 * `host.services`: the engine's run context, absent for a bare replay (the dispatcher's).
 */
export async function replayRun(
  workflow: Workflow,
  run: Pick<RunRecord, "id" | "input" | "seq">,
  events: readonly EventRecord[],
  host: Pick<ExecutionHost, "now" | "services">,
): Promise<Execution> {
  const exec = new Execution(run.id, workflow.name, {
    now: host.now,
    newHookId,
    random: Math.random,
    randomUUID,
    services: host.services,
  });
  await exec.begin(workflow.fn, decodeValue<unknown[]>(run.input) ?? [], events, run.seq);
  return exec;
}

/** Replays runs read from `store` (the lifecycle dispatcher's way to find a step's handlers). */
export function replayFromStore(
  store: Store,
  now: () => number,
): (workflow: Workflow, runId: string) => Promise<Execution> {
  return async (workflow, runId) => {
    const [run, events] = await Promise.all([store.getRun(runId), store.readEvents(runId)]);
    return replayRun(workflow, { id: runId, input: run?.input, seq: events.at(-1)?.seq ?? 0 }, events, {
      now,
    });
  };
}
