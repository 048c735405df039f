/**
 * Every error Latch throws on purpose, by family (src/errors/): the base class and its helpers,
 * bad input, runs and steps, hooks and payloads, stores, and how errors are written to the log.
 * Each class has a stable string `code`, a `name` equal to the class name, a working `is()` and a
 * message that names the field at fault and the fix.
 */
export {
  ECHO_MAX,
  errorCodes,
  LatchError,
  quoteInput,
  type SerializedError,
} from "./errors/base.js";
export {
  DeliveryPendingError,
  HookConflictError,
  HookDisposedError,
  HookExpiredError,
  HookNotFoundError,
  IdempotencyConflictError,
  MockPayloadError,
  type PayloadIssue,
  PayloadValidationError,
} from "./errors/hook.js";
export {
  InvalidArgumentError,
  InvalidDurationError,
  InvalidTokenError,
  NotImplementedError,
  SerializationError,
  UnknownWorkflowError,
} from "./errors/input.js";
export {
  FatalError,
  NonDeterminismError,
  NotInWorkflowError,
  RetryableError,
  RunCancelledError,
  RunFailedError,
  RunNotFoundError,
  RunTimedOutError,
  StepTimeoutError,
} from "./errors/run.js";
export { deserializeError, serializeError } from "./errors/serialize.js";
export {
  ClosedError,
  NotALatchDatabaseError,
  StoreConnectionError,
  StoreError,
  StoreNotFoundError,
  StoreUnavailableError,
} from "./errors/store.js";
