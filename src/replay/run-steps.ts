import { earliest, type StepCall } from "./calls.js";
import type { EventOf } from "./events.js";

type StepEvent = EventOf<"step.started" | "step.retrying" | "step.completed" | "step.failed">;

/**
 * The step calls of one run, by call number, and what the runtime asks about them: which
 * back-offs have ended, the next one to end, which attempts a crash cut off, whether any step
 * declared lifecycle hooks.
 */
export class RunSteps {
  private readonly byCall = new Map<number, StepCall>();
  private lifecycle = false;

  add(call: StepCall): void {
    this.byCall.set(call.callSeq, call);
    if (call.options.lifecycle) this.lifecycle = true;
  }

  get(callSeq: number): StepCall | undefined {
    return this.byCall.get(callSeq);
  }

  /** Whether any step of the run declared lifecycle hooks (else steps cost lifecycle/ nothing). */
  get hasLifecycle(): boolean {
    return this.lifecycle;
  }

  apply(e: StepEvent): void {
    this.byCall.get(e.callSeq)?.apply(e);
  }

  /** Steps in the given states, in call order. */
  in(...states: StepCall["state"][]): StepCall[] {
    return [...this.byCall.values()].filter((s) => states.includes(s.state));
  }

  /** Steps whose back-off has ended at `now`: due for their next attempt. */
  dueRetries(now: number): StepCall[] {
    return this.in("backoff").filter((s) => s.retryAt !== undefined && s.retryAt <= now);
  }

  /** When the earliest back-off ends. */
  nextRetry(): number | undefined {
    return earliest(this.in("backoff").map((s) => s.retryAt));
  }

  /** Attempts the log shows running that no process runs: a crash cut them off. */
  cutOff(): StepCall[] {
    return this.in("running").filter((s) => !s.live);
  }
}
