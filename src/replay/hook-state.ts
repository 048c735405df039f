import { type PayloadIssue, PayloadValidationError } from "../errors.js";
import { type StandardSchemaV1, toPayloadIssues } from "../schema/standard.js";
import type { HookKind } from "./events.js";
import type { Execution } from "./execution.js";
import { decodeValue } from "./values.js";

export interface HookStateInit {
  callSeq: number;
  hookId: string;
  token: string;
  name?: string;
  kind: HookKind;
  expiresAt?: number;
  schema?: StandardSchemaV1;
  jsonSchema?: Record<string, unknown>;
  metadata?: unknown;
  onCreated?: (token: string) => unknown;
  customToken: boolean;
}

type Deferred = { promise: Promise<unknown>; resolve(v: unknown): void; reject(e: unknown): void };

/**
 * A hook inside a run: the payloads it received, in order, and the awaits waiting for them.
 * Each await takes the next payload not yet consumed; awaits made while one is pending share it.
 * After the hook closes, payloads already received are still handed out, then awaits fail
 * (HookExpiredError, HookDisposedError, HookConflictError) and iteration ends.
 */
export class HookState {
  status: "pending" | "expired" | "disposed" | "conflict" = "pending";
  notified = false;
  readonly callSeq: number;
  readonly hookId: string;
  readonly token: string;
  readonly name: string | undefined;
  readonly kind: HookKind;
  readonly expiresAt: number | undefined;
  readonly schema: StandardSchemaV1 | undefined;
  readonly jsonSchema: Record<string, unknown> | undefined;
  readonly metadata: unknown;
  readonly onCreated: ((token: string) => unknown) | undefined;
  readonly customToken: boolean;
  private readonly queue: { raw: string | undefined; checked?: { value: unknown } }[] = [];
  /** Payloads `check` found valid, by inbox id, until they are received (no second validation). */
  private readonly checked = new Map<number, { value: unknown }>();
  private waiter: Deferred | undefined;
  private closeError: (() => Error) | undefined;

  constructor(
    readonly execution: Execution,
    init: HookStateInit,
  ) {
    this.callSeq = init.callSeq;
    this.hookId = init.hookId;
    this.token = init.token;
    this.name = init.name;
    this.kind = init.kind;
    this.expiresAt = init.expiresAt;
    this.schema = init.schema;
    this.jsonSchema = init.jsonSchema;
    this.metadata = init.metadata;
    this.onCreated = init.onCreated;
    this.customToken = init.customToken;
  }

  /**
   * A payload for the code. Each inbox row comes once: the runtime's payload feed is the one place
   * that filters repeats (see runtime/payload-feed.ts), and the log never holds a row twice.
   */
  receive(payload: string | undefined, inboxId: number): void {
    const checked = this.checked.get(inboxId);
    this.checked.delete(inboxId);
    this.queue.push({ raw: payload, checked });
    this.pump();
  }

  /** A payload turned down by `check`: never handed out. */
  reject(inboxId: number): void {
    this.checked.delete(inboxId);
  }

  /**
   * Validates a payload against the hook's own schema before it is delivered: the issues when it
   * fails (then the run records hook.rejected and the hook goes on waiting), else undefined and
   * the validated value is kept for `receive`. The one place payloads are validated where the
   * run's code is; a replayed payload (checked when it was live) only goes through `validate`
   * again to get the same value (a schema may transform it).
   */
  async check(raw: string | undefined, inboxId: number): Promise<PayloadIssue[] | undefined> {
    if (!this.schema) return undefined;
    const result = await this.validate(raw);
    if ("issues" in result) return result.issues;
    this.checked.set(inboxId, result);
    return undefined;
  }

  close(status: "expired" | "disposed" | "conflict", error: () => Error): void {
    if (this.status !== "pending") return;
    this.status = status;
    this.closeError = error;
    this.pump();
  }

  /** The next payload not yet consumed (shared by awaits made before it arrives). */
  next(): Promise<unknown> {
    if (!this.waiter) {
      let resolve!: (v: unknown) => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<unknown>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      this.waiter = { promise, resolve, reject };
      this.pump();
      return promise;
    }
    return this.waiter.promise;
  }

  private pump(): void {
    const w = this.waiter;
    if (!w) return;
    if (this.queue.length > 0) {
      const item = this.queue.shift()!;
      w.resolve(item.checked ? item.checked.value : this.parse(item.raw));
    } else if (this.status !== "pending") {
      w.reject(this.closeError!());
    } else {
      return;
    }
    // Awaits made in this same turn still share the payload; the next turn's await takes the next.
    queueMicrotask(() => {
      if (this.waiter === w) this.waiter = undefined;
    });
  }

  /** The value the code gets for a payload not checked by this process (replay): validated the same way. */
  private parse(raw: string | undefined): unknown {
    if (!this.schema) return decodeValue(raw);
    const toValue = (r: Validated) => {
      if ("issues" in r) return Promise.reject(new PayloadValidationError(r.issues, this.token));
      return r.value;
    };
    const result = this.validate(raw);
    // Synchronous schemas hand the value over in the same turn, as live delivery does.
    return result instanceof Promise ? result.then(toValue) : toValue(result);
  }

  private validate(raw: string | undefined): Validated | Promise<Validated> {
    let value: unknown;
    try {
      value = decodeValue(raw);
    } catch {
      return { issues: [{ path: "", message: "the payload is not valid JSON" }] };
    }
    const toValidated = (r: StandardSchemaV1.Result<unknown>): Validated =>
      r.issues ? { issues: toPayloadIssues(r.issues) } : { value: r.value };
    const result = this.schema!["~standard"].validate(value);
    return result instanceof Promise ? result.then(toValidated) : toValidated(result);
  }
}

type Validated = { value: unknown } | { issues: PayloadIssue[] };
