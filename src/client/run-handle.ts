import {
  deserializeError,
  RunCancelledError,
  RunFailedError,
  RunNotFoundError,
  RunTimedOutError,
} from "../errors.js";
import type { RunEvent } from "../replay/run-event.js";
import type { EventFilter, RunStatus } from "../store/records.js";
import type { Workflow } from "../workflow/define-workflow.js";
import type { RunInfo } from "./run-info.js";

/** The arguments `latch.start(workflow, ...args)` takes for a workflow (any for a name). */
export type WorkflowArgs<W> = W extends Workflow<infer A, any> ? A : unknown[];
/** What `run.result()` gives for a workflow (unknown for a name). */
export type WorkflowResult<W> = W extends Workflow<any, infer R> ? R : unknown;

/** What a handle asks of the client that made it. */
export interface RunReader {
  getRun(runId: string): Promise<RunInfo | undefined>;
  waitForRun(runId: string): Promise<RunInfo>;
  cancel(runId: string): Promise<RunInfo>;
  events(runId: string, filter?: EventFilter): Promise<RunEvent[]>;
}

/** A started run. `result()` waits for its end. */
export class RunHandle<R = unknown> {
  constructor(
    private readonly client: RunReader,
    readonly id: string,
  ) {}

  async status(): Promise<RunStatus> {
    const run = await this.client.getRun(this.id);
    if (!run) throw new RunNotFoundError(this.id);
    return run.status;
  }

  /** The run's return value once it ends. @throws RunFailedError (cause attached), RunCancelledError, RunTimedOutError */
  async result(): Promise<R> {
    const run = await this.client.waitForRun(this.id);
    if (run.status === "succeeded") return run.output as R;
    if (run.status === "cancelled") throw new RunCancelledError(this.id);
    if (run.status === "timed_out") throw new RunTimedOutError(this.id);
    throw new RunFailedError(
      this.id,
      run.error ? deserializeError(run.error) : new Error(`run ended as ${run.status}`),
    );
  }

  cancel(): Promise<RunInfo> {
    return this.client.cancel(this.id);
  }

  /** The run's event log, oldest first, recorded values decoded (see Client.events). */
  events(filter?: EventFilter): Promise<RunEvent[]> {
    return this.client.events(this.id, filter);
  }
}
