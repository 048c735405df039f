import { CODES, LatchError, type SerializedError, safeString } from "./base.js";
import {
  DeliveryPendingError,
  HookConflictError,
  HookDisposedError,
  HookExpiredError,
  HookNotFoundError,
  IdempotencyConflictError,
  MockPayloadError,
  PayloadValidationError,
} from "./hook.js";
import {
  InvalidArgumentError,
  InvalidDurationError,
  InvalidTokenError,
  NotImplementedError,
  SerializationError,
  UnknownWorkflowError,
} from "./input.js";
import {
  FatalError,
  NonDeterminismError,
  NotInWorkflowError,
  RetryableError,
  RunCancelledError,
  RunFailedError,
  RunNotFoundError,
  RunTimedOutError,
  StepTimeoutError,
} from "./run.js";
import {
  ClosedError,
  NotALatchDatabaseError,
  StoreConnectionError,
  StoreError,
  StoreNotFoundError,
  StoreUnavailableError,
} from "./store.js";

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
