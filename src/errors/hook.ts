import { LatchError, quoteInput } from "./base.js";

/** No live or past hook has this token. */
export class HookNotFoundError extends LatchError {
  static override readonly code: string = "HOOK_NOT_FOUND";
  constructor(readonly token: string) {
    super(
      `token: no hook has the token ${quoteInput(token)}. Check the token (list pending hooks with ` +
        '`latch hooks list --status pending`), or pass { ifMissing: "keep" } to hold the payload for a hook ' +
        "that will be created with this custom token.",
    );
  }
  override toData() {
    return { token: this.token };
  }
}

/** The hook's timeout passed: inside the workflow when awaiting it, outside on a late resume. */
export class HookExpiredError extends LatchError {
  static override readonly code: string = "HOOK_EXPIRED";
  constructor(
    readonly token: string,
    readonly expiredAt?: number,
  ) {
    super(
      `token: the hook ${quoteInput(token)} expired${expiredAt ? ` at ${new Date(expiredAt).toISOString()}` : ""} ` +
        "and takes no more payloads. Catch HookExpiredError in the workflow to handle the timeout, or give the hook a longer timeout.",
    );
  }
  override toData() {
    return { token: this.token, expiredAt: this.expiredAt };
  }
}

/** The hook was disposed (by the workflow, or because its run ended) and takes no more payloads. */
export class HookDisposedError extends LatchError {
  static override readonly code: string = "HOOK_DISPOSED";
  constructor(readonly token: string) {
    super(
      `token: the hook ${quoteInput(token)} was disposed (its run ended or the workflow released it) ` +
        "and takes no more payloads. Resume the hook that is pending now: `latch hooks list --status pending`.",
    );
  }
  override toData() {
    return { token: this.token };
  }
}

/** A live hook already holds this custom token. */
export class HookConflictError extends LatchError {
  static override readonly code: string = "HOOK_CONFLICT";
  constructor(readonly token: string) {
    super(
      `token: a live hook already uses the token ${quoteInput(token)}. Tokens are unique among live hooks: ` +
        "dispose the other hook first, or make the token unique (for example by adding the run id).",
    );
  }
  override toData() {
    return { token: this.token };
  }
}

/**
 * The idempotency key was used before, for this token, with another payload. The first payload
 * stands and this one was not recorded (a repeat with the same payload answers as the first call did).
 *
 * @example
 * try { await latch.resumeHook(token, payload, { idempotencyKey: messageId }); }
 * catch (err) { if (IdempotencyConflictError.is(err)) log.warn("same message id, other content"); }
 */
export class IdempotencyConflictError extends LatchError {
  static override readonly code: string = "IDEMPOTENCY_CONFLICT";
  constructor(
    readonly token: string,
    readonly idempotencyKey: string,
  ) {
    super(
      `idempotencyKey: ${JSON.stringify(idempotencyKey)} was already used for hook ${JSON.stringify(token)} with another payload; ` +
        "that first payload stands and this one was not recorded. Send the same payload to repeat the call, " +
        "or use a new idempotency key for a new payload.",
    );
  }
  override toData() {
    return { token: this.token, idempotencyKey: this.idempotencyKey };
  }
}

/** One problem found in a payload: where (`path`, like "reviewer" or "items.0.qty") and what. */
export interface PayloadIssue {
  path: string;
  message: string;
}

/** A hook payload does not match the hook's schema; `issues` lists every problem. */
export class PayloadValidationError extends LatchError {
  static override readonly code: string = "PAYLOAD_INVALID";
  /**
   * False: refused before anything was recorded. True: recorded, then turned down by the hook's own
   * schema where its run's code is (`hook.rejected`): not delivered, and the hook still waits.
   */
  readonly recorded: boolean;
  constructor(
    readonly issues: PayloadIssue[],
    readonly token?: string,
    options: { recorded?: boolean } = {},
  ) {
    const recorded = options.recorded ?? false;
    super(
      `payload: does not match the schema of hook ${token ? JSON.stringify(token) : ""}: ` +
        issues.map((i) => `${i.path || "(root)"}: ${i.message}`).join("; ") +
        (recorded
          ? ". The run's worker turned it down (recorded as hook.rejected); the hook still waits: fix these fields and resume again."
          : ". Fix these fields and resume again (nothing was recorded)."),
    );
    this.recorded = recorded;
  }
  override toData() {
    return { issues: this.issues, token: this.token, recorded: this.recorded };
  }
}

/**
 * `resumeHook(…, { wait: "delivered" })` gave up waiting: the payload is recorded and will still be
 * delivered (or rejected) when a worker takes it. Retryable: ask again with the same idempotency
 * key, or look at the hook's events (`latch hooks info <token>`).
 */
export class DeliveryPendingError extends LatchError {
  static override readonly code: string = "DELIVERY_PENDING";
  readonly retryable = true;
  constructor(
    readonly token: string,
    readonly inboxId: number,
    readonly waitedMs: number,
    /** What the resume recorded (the run and hook it went to), as `resumeHook` would have returned it. */
    readonly result?: { runId?: string; hookId?: string; kept: boolean; repeated: boolean },
  ) {
    super(
      `wait: the payload for hook ${JSON.stringify(token)} is recorded but no worker took it within ${waitedMs} ms. ` +
        "It will still be delivered or rejected when a worker runs; is a worker with this workflow running? " +
        "Raise waitTimeout, or resume again with the same idempotencyKey to wait again.",
    );
  }
  override toData() {
    return { token: this.token, inboxId: this.inboxId, result: this.result };
  }
}

/**
 * `latch/testing`: a `mockHooks` payload does not match its hook's schema. A mock is test code, so
 * the run fails at once with this error (the `cause` of `run.result()`'s RunFailedError) instead of
 * waiting for a payload that will never come. `mock` is the hook name the mock is listed under.
 */
export class MockPayloadError extends PayloadValidationError {
  static override readonly code: string = "MOCK_PAYLOAD_INVALID";
  constructor(
    readonly mock: string,
    issues: PayloadIssue[],
    token?: string,
  ) {
    super(issues, token);
    this.message =
      `mockHooks.${mock}: the mocked payload does not match the schema of hook ${token ? JSON.stringify(token) : mock}: ` +
      issues.map((i) => `${i.path || "(root)"}: ${i.message}`).join("; ") +
      `. Fix mockHooks.${mock} in createTestLatch (a mock is test code: its run fails rather than wait for a payload that never comes)`;
  }
  override toData() {
    return { ...super.toData(), mock: this.mock };
  }
}
