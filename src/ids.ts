import { randomBytes } from "node:crypto";
import { monotonicFactory } from "ulid";

/**
 * Every id Latch makes comes from here: a type prefix and a time-ordered ULID, so ids sort by
 * creation time and say what they name (`run_01J…`, `hook_01J…`).
 */
const ulid = monotonicFactory();

export const newRunId = (): string => `run_${ulid()}`;
export const newHookId = (): string => `hook_${ulid()}`;
export const newWorkerId = (): string => `wkr_${ulid()}`;

/** An unguessable token (160 random bits, base64url) for capability URLs such as webhooks. */
export const newSecretToken = (): string => `whk_${randomBytes(20).toString("base64url")}`;
