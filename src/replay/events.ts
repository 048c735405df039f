import type { SerializedError } from "../errors.js";

/**
 * The event log of a run: its whole truth, append-only. One discriminated union on `type`.
 *
 * Values (input, results, payloads, outputs) are kept as JSON text exactly as stored, so replay
 * hands the workflow byte-identical data and events never need re-encoding.
 *
 * `callSeq` is the durable call's number in call order, the key replay matches code against.
 * `seq` (on EventRecord) is the event's position in the log, the key appends are checked against.
 */
export type LatchEvent =
  | { type: "run.created"; workflow: string; version?: string; input?: string }
  | { type: "run.started"; deadline?: number }
  | { type: "run.suspended"; wakeAt?: number }
  | { type: "run.resumed"; reason: ResumeReason }
  | { type: "run.succeeded"; output?: string }
  | { type: "run.failed"; error: SerializedError }
  | { type: "run.cancelled"; reason?: string }
  | { type: "run.timed_out"; deadline: number }
  | { type: "step.started"; callSeq: number; name: string; attempt: number }
  | {
      type: "step.completed";
      callSeq: number;
      name: string;
      attempt: number;
      result?: string;
      skipped?: boolean;
    }
  | { type: "step.failed"; callSeq: number; name: string; attempt: number; error: SerializedError }
  | {
      type: "step.retrying";
      callSeq: number;
      name: string;
      attempt: number;
      error: SerializedError;
      retryAt: number;
    }
  | { type: "sleep.started"; callSeq: number; until: number }
  | { type: "sleep.completed"; callSeq: number }
  | {
      type: "hook.created";
      callSeq: number;
      hookId: string;
      token: string;
      name?: string;
      kind: HookKind;
      expiresAt?: number;
      schema?: unknown;
      metadata?: unknown;
      /** Set when the token was held by another live hook: awaiting throws HookConflictError. */
      conflict?: boolean;
    }
  | { type: "hook.notified"; callSeq: number; hookId: string }
  | {
      type: "hook.received";
      hookId: string;
      token: string;
      inboxId: number;
      payload?: string;
      receivedAt: number;
      /** Who sent the payload, when the sender said (see `Sender`). */
      by?: Actor;
      channel?: string;
    }
  | {
      /**
       * A payload that passed the checks made where it was sent (the stored JSON Schema) but not the
       * hook's own schema where the run's code is: not delivered, the hook still waits.
       */
      type: "hook.rejected";
      hookId: string;
      token: string;
      inboxId: number;
      payload?: string;
      issues: { path: string; message: string }[];
      receivedAt: number;
      by?: Actor;
      channel?: string;
    }
  | { type: "hook.expired"; hookId: string; token: string }
  | {
      type: "hook.disposed";
      hookId: string;
      token: string;
      callSeq?: number;
      reason: "disposed" | "run_ended";
    }
  | { type: "value.recorded"; callSeq: number; kind: "now" | "random" | "uuid"; value: number | string };

export type HookKind = "hook" | "webhook";

/** Who acted: an id (a person, a service, an API key's owner) and the groups it belongs to. */
export interface Actor {
  id: string;
  groups?: string[];
}
export type ResumeReason = "payload" | "timer" | "cancel" | "recovery";
export type EventType = LatchEvent["type"];
export type EventOf<T extends EventType> = Extract<LatchEvent, { type: T }>;

/** An event as stored: its position in the run's log and when it was written. */
export type EventRecord = LatchEvent & { seq: number; at: number };
