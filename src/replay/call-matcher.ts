import { NonDeterminismError } from "../errors.js";
import type { LatchEvent } from "./events.js";

/** The first event of a durable call in the log (its `callSeq` names the call). */
export type RecordedCall = Extract<LatchEvent, { callSeq: number }>;

/**
 * Matches the durable calls the code makes against the ones its log recorded. Call numbers come
 * from call order; a call whose kind or name differs from the log's, a call the log lacks while
 * the log still has events to replay, or a logged call the code no longer makes is drift: the run
 * must fail with NonDeterminismError (kept in `fatal`, whatever the code does with the throw).
 */
export class CallMatcher {
  private readonly recorded = new Map<number, RecordedCall>();
  private readonly made = new Set<number>();
  private maxRecorded = 0;
  private last = 0;
  /** Log events not applied yet during replay; while > 0 every call must already be in the log. */
  private remaining = 0;
  fatal: NonDeterminismError | undefined;

  constructor(
    private readonly runId: string,
    private readonly workflowName: string,
  ) {}

  /** Learns the calls of a log about to be replayed; `toApply` is how many of its events drive the code. */
  load(history: readonly LatchEvent[], toApply: number): void {
    for (const e of history) {
      if ("callSeq" in e && typeof e.callSeq === "number" && !this.recorded.has(e.callSeq)) {
        this.recorded.set(e.callSeq, e as RecordedCall);
        this.maxRecorded = Math.max(this.maxRecorded, e.callSeq);
      }
    }
    this.remaining = toApply;
  }

  /** One logged event was applied; at 0 the execution is live. */
  applied(): void {
    if (this.remaining > 0) this.remaining--;
  }

  /** Replay is over: calls past the log are new. */
  live(): void {
    this.remaining = 0;
  }

  /** The log's first event of call `callSeq`, when it has one. */
  recordedAt<E extends RecordedCall>(callSeq: number): E | undefined {
    return this.recorded.get(callSeq) as E | undefined;
  }

  /** Allocates the next call number and checks it against the log (NonDeterminismError on drift). */
  next(type: string, name?: string): number {
    if (this.fatal) throw this.fatal;
    const callSeq = ++this.last;
    this.made.add(callSeq);
    const rec = this.recorded.get(callSeq);
    if (rec) {
      const recName = callName(rec);
      if (rec.type !== type || (name !== undefined && recName !== name)) {
        this.fail(
          `durable call #${callSeq} is ${describe(type, name)} in the code but ${describe(rec.type, recName)} in the log of run ${this.runId}`,
        );
      }
    } else if (callSeq <= this.maxRecorded || this.remaining > 0) {
      this.fail(
        `durable call #${callSeq} (${describe(type, name)}) is in the code but not in the log of run ${this.runId}`,
      );
    }
    return callSeq;
  }

  /** An event of call `callSeq` is applied: the code must have made that call. */
  expect(callSeq: number, e: LatchEvent): void {
    if (this.made.has(callSeq)) return;
    this.fail(
      `the log of run ${this.runId} has ${describe(e.type, callName(e))} as durable call #${callSeq}, ` +
        "which the code no longer makes",
    );
  }

  private fail(detail: string): never {
    this.fatal ??= new NonDeterminismError(
      `${detail}. The workflow "${this.workflowName}" changed under a live run: durable calls (steps, sleeps, hooks, ` +
        "now/random/uuid) must be made in the same order on every execution. Keep the old code path for runs " +
        "started before the change, or give the new code a new workflow version.",
    );
    throw this.fatal;
  }
}

function callName(e: LatchEvent): string | undefined {
  if ("name" in e) return e.name;
  if (e.type === "value.recorded") return e.kind;
  return undefined;
}

function describe(type: string, name: string | undefined): string {
  const kind = type.split(".")[0];
  return name ? `${kind} "${name}"` : `a ${kind}`;
}
