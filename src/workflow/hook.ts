import { InvalidArgumentError } from "../errors.js";
import { type Duration, parseDuration } from "../replay/duration.js";
import type { Execution } from "../replay/execution.js";
import type { HookState } from "../replay/hook-state.js";
import { workflowExecution } from "../replay/scope.js";
import {
  type InferOutput,
  isStandardSchema,
  type StandardSchemaV1,
  toJsonSchema,
} from "../schema/standard.js";

/**
 * A wait hook inside a run. `await hook` suspends the run until a payload arrives (by
 * `resumeHook(hook.token, payload)` from anywhere); `for await (const p of hook)` takes every payload,
 * in order, none lost. `dispose()` (or `using`) frees the token; a hook is disposed when its run ends.
 */
export interface Hook<T = unknown> extends PromiseLike<T>, AsyncIterable<T>, Disposable {
  /** The token to resume this hook with: `<runId>:<hookId>` unless a custom one was given. */
  readonly token: string;
  readonly hookId: string;
  readonly name: string | undefined;
  /** Releases the token; pending awaits fail with HookDisposedError and iteration ends. */
  dispose(): void;
}

export interface HookOptions<T = unknown> {
  /** A custom token, unique among live hooks (HookConflictError otherwise); reusable after dispose. */
  token?: string;
  /** Shown in listings; also how `mockHooks` and the CLI find the hook. */
  name?: string;
  /** After this the hook expires: awaiting throws HookExpiredError (catchable), resumes are refused. */
  timeout?: Duration;
  /** Any Standard Schema; payloads are validated against it before they are recorded. */
  schema?: StandardSchemaV1<unknown, T>;
  /** Called once, with the token, after the hook is registered (never again on replay). */
  onCreated?: (token: string) => unknown;
  /** Any JSON data shown with the hook (in listings, the CLI, the dashboard). */
  metadata?: unknown;
}

/**
 * Creates a hook: the run can wait for payloads sent to its token.
 * @example
 * using hook = createHook<{ approved: boolean }>({ timeout: "7d", onCreated: (t) => notify(t) });
 * const { approved } = await hook;
 */
export function createHook<T = unknown>(options: HookOptions<T> = {}): Hook<T> {
  return hookHandle<T>(registerHook(workflowExecution("createHook"), options));
}

function registerHook<T>(execution: Execution, options: HookOptions<T>): HookState {
  if (options.schema !== undefined && !isStandardSchema(options.schema)) {
    throw new InvalidArgumentError(
      "schema",
      "is not a Standard Schema",
      "Pass a zod, valibot or arktype schema (any Standard Schema).",
    );
  }
  return execution.callCreateHook({
    token: options.token,
    name: options.name,
    kind: "hook",
    timeoutMs: options.timeout === undefined ? undefined : parseDuration(options.timeout, "timeout"),
    schema: options.schema,
    jsonSchema: options.schema ? jsonSchemaOf(options.schema) : undefined,
    metadata: options.metadata,
    onCreated: options.onCreated,
  });
}

/** Wraps a hook's state in the object the workflow sees. */
export function hookHandle<T>(state: HookState): Hook<T> {
  const dispose = () => state.execution.callDisposeHook(state);
  return {
    token: state.token,
    hookId: state.hookId,
    name: state.name,
    then(onFulfilled, onRejected) {
      return (state.next() as Promise<T>).then(onFulfilled, onRejected);
    },
    dispose,
    [Symbol.dispose]: dispose,
    [Symbol.asyncIterator](): AsyncIterator<T> {
      return {
        next: () =>
          state.next().then(
            (value) => ({ value: value as T, done: false }),
            (err) => {
              if (state.status === "disposed") return { value: undefined as never, done: true };
              throw err;
            },
          ),
      };
    },
  };
}

/** A typed hook definition: its name and schema, shared by the workflow and the code that resumes it. */
export interface HookDefinition<S extends StandardSchemaV1> {
  readonly name: string;
  readonly schema: S;
  /** The payload's JSON Schema, stored with every hook so any process can validate and prompt. */
  readonly jsonSchema: Record<string, unknown> | undefined;
  create(options?: Omit<HookOptions<InferOutput<S>>, "name" | "schema">): Hook<InferOutput<S>>;
}

/**
 * Defines a typed hook once, for the workflow (`create`) and for senders (the type of the payload).
 * @example
 * const approval = defineHook("manager_approval", z.object({ approved: z.boolean(), reviewer: z.string() }));
 * const decision = await approval.create({ timeout: "7d" }); // typed { approved, reviewer }
 */
export function defineHook<S extends StandardSchemaV1>(name: string, schema: S): HookDefinition<S> {
  if (typeof name !== "string" || name.length === 0 || name.length > 128) {
    throw new InvalidArgumentError(
      "name",
      `${JSON.stringify(name)} is not a hook name`,
      "Use 1 to 128 characters.",
    );
  }
  if (!isStandardSchema(schema)) {
    throw new InvalidArgumentError(
      "schema",
      "is not a Standard Schema",
      "Pass a zod, valibot or arktype schema (any Standard Schema).",
    );
  }
  const jsonSchema = jsonSchemaOf(schema);
  return Object.freeze({
    name,
    schema,
    jsonSchema,
    create: (options = {}) => {
      const execution = workflowExecution("createHook");
      // The engine running this run learns the definition: its resumeHook checks payloads with it.
      execution.services?.hookDefined(name, schema);
      return hookHandle(
        registerHook<InferOutput<S>>(execution, { ...options, name, schema: schema as never }),
      );
    },
  });
}

const jsonSchemas = new WeakMap<object, Record<string, unknown> | undefined>();

function jsonSchemaOf(schema: StandardSchemaV1): Record<string, unknown> | undefined {
  if (!jsonSchemas.has(schema)) jsonSchemas.set(schema, toJsonSchema(schema));
  return jsonSchemas.get(schema);
}
