import type { StandardSchemaV1 } from "../schema/standard.js";

/** What an execution needs from the outside world (a clock, randomness), injected so tests control it. */
export interface ExecutionHost {
  now(): number;
  newHookId(): string;
  random(): number;
  randomUUID(): string;
  /** What the engine running the workflow offers its code; absent when nothing runs it (a bare replay). */
  services?: RunServices;
}

/**
 * The engine's side of the run context: per engine, never process-wide, so two latches in one
 * process keep their own settings (and a workflow from another copy of latch reaches them through
 * the execution it runs in).
 */
export interface RunServices {
  /** The base of the webhook URLs this engine gives out, such as "https://hooks.example.com". */
  publicUrl(): string;
  /** A run created a hook of a definition (defineHook): the engine's resumeHook checks payloads with its schema. */
  hookDefined(name: string, schema: StandardSchemaV1): void;
}
