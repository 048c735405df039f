/**
 * An audit-log plugin: one structured record per step attempt, written to a sink you choose.
 *
 * Interceptors only run when a step really executes, never when a recorded step is replayed, so
 * a run that suspends and resumes (or survives a restart) is not audited twice for the same
 * attempt. An attempt cut short by a crash leaves no record: its retry gets one with its own
 * attempt number.
 */
import type { InterceptorContext, LatchPlugin, StepResult } from "../../src/index.js";

/** What the audit log records for one step attempt. Times are epoch milliseconds. */
export interface AuditRecord {
  runId: string;
  workflow: string;
  step: string;
  /** The step's position in the run (several calls may share a name). */
  callSeq: number;
  attempt: number;
  idempotencyKey: string;
  start: number;
  end: number;
  durationMs: number;
  status: StepResult["status"];
  /** Set when the attempt failed (it may still be retried). */
  error?: { name: string; message: string };
}

/** Anything with a `write(string)` method: a file or process stream, a socket, a log shipper. */
export interface TextSink {
  write(chunk: string): unknown;
}

/**
 * Where records go: an array (pushed to), a text stream (one JSON line per record) or a function.
 */
export type AuditSink = AuditRecord[] | TextSink | ((record: AuditRecord) => void);

export interface AuditLogOptions {
  /** Default: JSON lines on stdout. */
  sink?: AuditSink;
  /** The clock for start, end and duration (epoch ms). Default `Date.now`. */
  now?: () => number;
}

const START = "auditLog.start";

/**
 * Creates the audit-log plugin. List it first in `plugins` to audit every attempt, including
 * results supplied by the interceptors after it (a cache hit then shows as a very short attempt).
 *
 * @example
 * import { createWriteStream } from "node:fs";
 * const latch = await createLatch({
 *   workflows: [checkout],
 *   plugins: [auditLogPlugin({ sink: createWriteStream("audit.jsonl", { flags: "a" }) })],
 * });
 */
export function auditLogPlugin(options: AuditLogOptions = {}): LatchPlugin {
  const now = options.now ?? Date.now;
  const emit = toEmitter(options.sink ?? process.stdout);
  return {
    name: "audit-log",
    interceptors: [
      {
        name: "audit-log",
        beforeStep(ctx) {
          ctx.state[START] = now();
        },
        afterStep(ctx, result) {
          emit(recordOf(ctx, result, (ctx.state[START] as number | undefined) ?? now(), now()));
        },
      },
    ],
  };
}

function recordOf(ctx: InterceptorContext, result: StepResult, start: number, end: number): AuditRecord {
  const record: AuditRecord = {
    runId: ctx.runId,
    workflow: ctx.workflow,
    step: ctx.step,
    callSeq: ctx.callSeq,
    attempt: ctx.attempt,
    idempotencyKey: ctx.idempotencyKey,
    start,
    end,
    durationMs: end - start,
    status: result.status,
  };
  if (result.status === "failed") record.error = describeError(result.error);
  return record;
}

function describeError(error: unknown): { name: string; message: string } {
  return error instanceof Error
    ? { name: error.name, message: error.message }
    : { name: "NonError", message: String(error) };
}

function toEmitter(sink: AuditSink): (record: AuditRecord) => void {
  if (Array.isArray(sink)) return (record) => void sink.push(record);
  if (typeof sink === "function") return sink;
  if (sink && typeof sink.write === "function")
    return (record) => void sink.write(`${JSON.stringify(record)}\n`);
  throw new TypeError("auditLogPlugin: sink must be an array, a function or an object with write(string)");
}
