/**
 * Every error Latch throws on purpose. Each class has a stable string `code`, a `name` equal to the
 * class name, and a message that names the field at fault and the fix.
 *
 * `X.is(err)` matches instances of X and of its subclasses, also across module copies (two installs
 * of latch in one process, or an error rebuilt from the event log), by the codes carried on the error.
 *
 * @example
 * try { await latch.resumeHook(token, payload); }
 * catch (err) { if (HookExpiredError.is(err)) console.log("too late"); }
 */

const CODES = Symbol.for("latch.error.codes");

export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  stack?: string;
  data?: Record<string, unknown>;
  cause?: SerializedError;
}

/** How many characters of a value given by a user an error message repeats back. */
export const ECHO_MAX = 64;

/**
 * A user's value quoted for an error message, cut to `max` characters ("…" marks the cut): enough
 * to recognise it, never a 5,000-character token sent back whole (messages reach HTTP answers).
 */
export function quoteInput(value: unknown, max = ECHO_MAX): string {
  const cut = (text: string) => (text.length > max ? `${text.slice(0, max)}…` : text);
  return typeof value === "string" ? JSON.stringify(cut(value)) : cut(safeString(value));
}

export class LatchError extends Error {
  static readonly code: string = "LATCH_ERROR";
  readonly code: string;
  declare readonly [CODES]: readonly string[];

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    const ctor = new.target as unknown as { code: string; name: string };
    this.name = ctor.name;
    this.code = ctor.code;
    const codes: string[] = [];
    for (let c: any = new.target; c && c !== Error; c = Object.getPrototypeOf(c)) {
      if (typeof c.code === "string") codes.push(c.code);
    }
    Object.defineProperty(this, CODES, { value: codes, enumerable: false });
  }

  /** True when `err` is this class or a subclass of it, even from another copy of latch. */
  static is<T extends abstract new (...args: any) => any>(this: T, err: unknown): err is InstanceType<T> {
    // `this` is the class is() was called on (FatalError.is), which is the point of the method.
    // biome-ignore lint/complexity/noThisInStatic: subclasses inherit is() and must match themselves
    const cls = this as unknown as { code: string; [Symbol.hasInstance](v: unknown): boolean };
    if (err instanceof (cls as unknown as T)) return true;
    return errorCodes(err).includes(cls.code);
  }

  /** Extra fields kept when the error is written to the event log. */
  toData(): Record<string, unknown> | undefined {
    return undefined;
  }
}

/** A value given to Latch is wrong. `field` names it; the message says how to fix it. */
export class InvalidArgumentError extends LatchError {
  static override readonly code: string = "INVALID_ARGUMENT";
  constructor(
    readonly field: string,
    problem: string,
    fix: string,
  ) {
    super(`${field}: ${problem}. ${fix}`);
  }
  override toData() {
    return { field: this.field };
  }
}

/** A duration such as "7x" could not be read. */
export class InvalidDurationError extends InvalidArgumentError {
  static override readonly code: string = "INVALID_DURATION";
  constructor(field: string, value: unknown) {
    super(
      field,
      `${quoteInput(value)} is not a duration`,
      'Use milliseconds as a number or a string such as "500ms", "90s", "15m", "1h30m", "7d" or "2w".',
    );
  }
}

/** A hook token is empty, too long or has control characters. */
export class InvalidTokenError extends InvalidArgumentError {
  static override readonly code: string = "INVALID_TOKEN";
}

/** A value that must be stored (step result, input, payload, output) is not serialisable. */
export class SerializationError extends InvalidArgumentError {
  static override readonly code: string = "NOT_SERIALIZABLE";
}

/** No workflow of that name is registered with this engine or client. */
export class UnknownWorkflowError extends LatchError {
  static override readonly code: string = "UNKNOWN_WORKFLOW";
  constructor(
    readonly workflow: string,
    known: readonly string[],
  ) {
    super(
      `workflow: no workflow named ${quoteInput(workflow)} is registered. ` +
        (known.length
          ? `Known workflows: ${known.map((k) => JSON.stringify(k)).join(", ")}.`
          : "Pass it to createLatch({ workflows: [...] }).") +
        " Check the name or register the workflow.",
    );
  }
  override toData() {
    return { workflow: this.workflow };
  }
}

/** The workflow code no longer makes the durable calls recorded in the run's event log. */
export class NonDeterminismError extends LatchError {
  static override readonly code: string = "NON_DETERMINISM";
}

/** A durable function (step, sleep, createHook, now…) was called outside a running workflow. */
export class NotInWorkflowError extends LatchError {
  static override readonly code: string = "NOT_IN_WORKFLOW";
  constructor(what: string) {
    super(
      `${what}() was called outside a workflow run. Call it inside a function passed to defineWorkflow(), ` +
        "and not inside a step (a step is one unit of side effects; start another step from the workflow instead).",
    );
  }
}

/** Thrown from a step: do not retry, fail the step now. */
export class FatalError extends LatchError {
  static override readonly code: string = "FATAL";
}

/** Thrown from a step: retry, optionally after `retryAfter` (a duration or a Date). */
export class RetryableError extends LatchError {
  static override readonly code: string = "RETRYABLE";
  readonly retryAfter?: number | string | Date;
  constructor(message: string, options?: { retryAfter?: number | string | Date; cause?: unknown }) {
    super(message, options);
    this.retryAfter = options?.retryAfter;
  }
}

/** A step attempt ran past its `timeout`. */
export class StepTimeoutError extends LatchError {
  static override readonly code: string = "STEP_TIMEOUT";
}

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

/**
 * An option that Latch declares but does not implement yet (a plugin's `triggers` or `nodes`, a
 * workflow's `trigger`). Refused where it is given, so nothing is silently ignored; `field` names it.
 */
export class NotImplementedError extends InvalidArgumentError {
  static override readonly code: string = "NOT_IMPLEMENTED";
}

/** No run has this id. */
export class RunNotFoundError extends LatchError {
  static override readonly code: string = "RUN_NOT_FOUND";
  constructor(readonly runId: string) {
    super(`runId: no run has the id ${quoteInput(runId)}. List runs with \`latch runs list\`.`);
  }
}

/** `RunHandle.result()` of a run that failed; the workflow's error is the `cause`. */
export class RunFailedError extends LatchError {
  static override readonly code: string = "RUN_FAILED";
  constructor(
    readonly runId: string,
    cause: unknown,
  ) {
    super(
      `run ${runId} failed: ${(cause as Error)?.message ?? String(cause)}. See its events with \`latch runs logs ${runId}\`.`,
      { cause },
    );
  }
}

/** `RunHandle.result()` of a run that was cancelled. */
export class RunCancelledError extends LatchError {
  static override readonly code: string = "RUN_CANCELLED";
  constructor(readonly runId: string) {
    super(`run ${runId} was cancelled.`);
  }
}

/** `RunHandle.result()` of a run that hit its workflow timeout. */
export class RunTimedOutError extends LatchError {
  static override readonly code: string = "RUN_TIMED_OUT";
  constructor(readonly runId: string) {
    super(`run ${runId} timed out (its workflow's timeout passed before it finished).`);
  }
}

/** The database cannot be opened, written, or is not a Latch database. */
export class StoreError extends LatchError {
  static override readonly code: string = "STORE_ERROR";
}

/** The database cannot be read or written: its folder, a damaged or vanished file, a full disk. */
export class StoreUnavailableError extends StoreError {
  static override readonly code: string = "STORE_UNAVAILABLE";
}

/**
 * The database could not be reached for this call (connection lost, server restarting). Unlike a
 * misconfiguration, trying again later is the fix: `retryable` is true; HTTP answers 503.
 */
export class StoreConnectionError extends StoreUnavailableError {
  static override readonly code: string = "STORE_CONNECTION";
  readonly retryable = true;
}

/**
 * No database exists where a process that may not create one looked (a read command of the CLI, a
 * client opened with `create: false`): a mistyped path must not leave an empty database behind and
 * answer "no runs". `path` is the file looked for.
 */
export class StoreNotFoundError extends StoreUnavailableError {
  static override readonly code: string = "STORE_NOT_FOUND";
  constructor(
    readonly path: string,
    fix = "A database is made by the first process that runs workflows on it (createLatch(), " +
      "`latch worker <file>`, `latch dev <file>`); to make it from here, pass { create: true } to createClient.",
  ) {
    super(`store: no Latch database at ${path}. Check the path (--db / LATCH_DATABASE_URL). ${fix}`);
  }
  override toData() {
    return { path: this.path };
  }
}

/** The file exists but is not a Latch database, or has a newer schema than this version knows. */
export class NotALatchDatabaseError extends StoreError {
  static override readonly code: string = "NOT_A_LATCH_DATABASE";
}

/** The engine or client was used after close(). */
export class ClosedError extends LatchError {
  static override readonly code: string = "CLOSED";
}

/**
 * The codes an error carries, its own first, then its parent classes' (`["STORE_NOT_FOUND",
 * "STORE_UNAVAILABLE", "STORE_ERROR", "LATCH_ERROR"]`); none for anything but a LatchError.
 */
export function errorCodes(err: unknown): readonly string[] {
  const codes = (err as { [CODES]?: unknown } | null)?.[CODES];
  return Array.isArray(codes) ? codes : [];
}

const KNOWN: Record<string, new (...args: any[]) => LatchError> = {};
for (const c of [
  LatchError,
  InvalidArgumentError,
  InvalidDurationError,
  InvalidTokenError,
  SerializationError,
  UnknownWorkflowError,
  NonDeterminismError,
  NotInWorkflowError,
  FatalError,
  RetryableError,
  StepTimeoutError,
  HookNotFoundError,
  HookExpiredError,
  HookDisposedError,
  HookConflictError,
  IdempotencyConflictError,
  PayloadValidationError,
  DeliveryPendingError,
  MockPayloadError,
  NotImplementedError,
  RunNotFoundError,
  RunFailedError,
  RunCancelledError,
  RunTimedOutError,
  StoreError,
  StoreUnavailableError,
  StoreConnectionError,
  StoreNotFoundError,
  NotALatchDatabaseError,
  ClosedError,
]) {
  KNOWN[c.name] = c as never;
}

/** Turns any thrown value into plain data for the event log. */
export function serializeError(err: unknown): SerializedError {
  if (err instanceof Error) {
    const out: SerializedError = { name: err.name, message: err.message };
    const code = (err as { code?: unknown }).code;
    if (typeof code === "string") out.code = code;
    if (err.stack) out.stack = err.stack;
    if (err instanceof LatchError) {
      const data = err.toData();
      if (data) out.data = JSON.parse(JSON.stringify(data));
    }
    if (err.cause !== undefined && err.cause !== err) out.cause = serializeError(err.cause);
    return out;
  }
  return { name: "Error", message: typeof err === "string" ? err : safeString(err) };
}

/**
 * Rebuilds an error from the log: Latch's own classes come back as themselves (so `instanceof` and
 * `is()` work inside the workflow), any other error as an Error with the same name and message.
 */
export function deserializeError(data: SerializedError): Error {
  const Known = KNOWN[data.name];
  const err: Error = Known ? Object.create(Known.prototype) : new Error(data.message);
  if (Known) {
    Object.defineProperty(err, "message", { value: data.message, writable: true, configurable: true });
    const codes: string[] = [];
    for (let c: any = Known; c && c !== Error; c = Object.getPrototypeOf(c)) {
      if (typeof c.code === "string") codes.push(c.code);
    }
    Object.defineProperty(err, CODES, { value: codes, enumerable: false });
    Object.assign(err, data.data ?? {});
  }
  err.name = data.name;
  if (data.code)
    Object.defineProperty(err, "code", {
      value: data.code,
      writable: true,
      configurable: true,
      enumerable: true,
    });
  Object.defineProperty(err, "stack", {
    value: data.stack ?? `${data.name}: ${data.message}`,
    writable: true,
    configurable: true,
  });
  if (data.cause)
    Object.defineProperty(err, "cause", {
      value: deserializeError(data.cause),
      writable: true,
      configurable: true,
    });
  return err;
}

function safeString(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
