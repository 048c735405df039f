export type { ClientOptions } from "./client/client.js";
export { Client, createClient } from "./client/client.js";
export type { EventPage, EventPageFilter } from "./client/event-page.js";
export type { ResumeOptions, ResumeResult } from "./client/resume-options.js";
export { RunHandle } from "./client/run-handle.js";
export type { HookInfo, RunInfo } from "./client/run-info.js";
export type { Clock } from "./clock.js";
export type { PayloadIssue, SerializedError } from "./errors.js";
export {
  ClosedError,
  DeliveryPendingError,
  FatalError,
  HookConflictError,
  HookDisposedError,
  HookExpiredError,
  HookNotFoundError,
  IdempotencyConflictError,
  InvalidArgumentError,
  InvalidDurationError,
  InvalidTokenError,
  LatchError,
  MockPayloadError,
  NonDeterminismError,
  NotALatchDatabaseError,
  NotImplementedError,
  NotInWorkflowError,
  PayloadValidationError,
  RetryableError,
  RunCancelledError,
  RunFailedError,
  RunNotFoundError,
  RunTimedOutError,
  SerializationError,
  StepTimeoutError,
  StoreConnectionError,
  StoreError,
  StoreNotFoundError,
  StoreUnavailableError,
  UnknownWorkflowError,
} from "./errors.js";
export type { InterceptorContext, StepInterceptor, StepResult } from "./interceptors/types.js";
export type {
  HookErrorReporter,
  LifecycleEvent,
  LifecycleHandler,
  LifecycleHookName,
  LifecycleHooks,
} from "./lifecycle/types.js";
export type { LatchConfig, PluginSpec } from "./plugins/load.js";
export { loadConfiguredPlugins } from "./plugins/load.js";
export type { LatchPlugin } from "./plugins/types.js";
export type { Duration } from "./replay/duration.js";
export { parseDuration } from "./replay/duration.js";
export type { EventRecord, LatchEvent } from "./replay/events.js";
export type { RunEvent, RunEventOf } from "./replay/run-event.js";
export { MAX_VALUE_DEPTH } from "./replay/values.js";
export type { LatchOptions } from "./runtime/engine.js";
export { createLatch, Latch } from "./runtime/engine.js";
export type { Logger } from "./runtime/logger.js";
export type { WorkerOptions } from "./runtime/worker-options.js";
export type {
  HookCountFilter,
  HookCounts,
  HookRecord,
  HookStatus,
  Page,
  RunCountFilter,
  RunCounts,
  RunRecord,
  RunStatus,
} from "./store/records.js";
export type { Store, StoreChange, WatchOptions } from "./store/store.js";
export type { OpenStoreOptions, StoreSpec } from "./stores/open.js";
export { DEFAULT_DATABASE_URL, openStore } from "./stores/open.js";
export type { SqliteStoreOptions } from "./stores/sqlite/sqlite-store.js";
export { SqliteStore } from "./stores/sqlite/sqlite-store.js";
export type { RunContext } from "./workflow/context.js";
export { getRunContext } from "./workflow/context.js";
export type { Workflow, WorkflowOptions } from "./workflow/define-workflow.js";
export { defineWorkflow } from "./workflow/define-workflow.js";
export type { Hook, HookDefinition, HookOptions } from "./workflow/hook.js";
export { createHook, defineHook } from "./workflow/hook.js";
export { sleep } from "./workflow/sleep.js";
export type { StepContext, StepOptions } from "./workflow/step.js";
export { defineStep, step } from "./workflow/step.js";
export { now, random, uuid } from "./workflow/values.js";
export {
  createWebhook,
  type HmacCheck,
  type RespondWith,
  type SignatureOptions,
  verifyHmacSignature,
  verifyWebhookSignature,
  type Webhook,
  type WebhookOptions,
  type WebhookRequest,
  type WebhookResponse,
} from "./workflow/webhook.js";
