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
    return this.where((s) => states.includes(s.state));
  }

  /** Steps whose back-off has ended at `now`: due for their next attempt. */
  dueRetries(now: number): StepCall[] {
    return this.where((s) => s.state === "backoff" && s.retryAt !== undefined && s.retryAt <= now);
  }

  /** When the earliest back-off ends. */
  nextRetry(): number | undefined {
    let at: number | undefined;
    for (const s of this.byCall.values()) if (s.state === "backoff") at = earliest(at, s.retryAt);
    return at;
  }

  /** Attempts the log shows running that no process runs: a crash cut them off. */
  cutOff(): StepCall[] {
    return this.where((s) => s.state === "running" && !s.live);
  }

  // Asked on every turn of a run's driver: plain loops, no intermediate arrays.
  private where(test: (s: StepCall) => boolean): StepCall[] {
    const out: StepCall[] = [];
    for (const s of this.byCall.values()) if (test(s)) out.push(s);
    return out;
  }
}
