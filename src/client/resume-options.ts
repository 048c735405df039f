import { InvalidArgumentError, quoteInput } from "../errors.js";
import { type Duration, parseDuration } from "../replay/duration.js";
import type { Actor } from "../replay/events.js";
import { isDefaultToken } from "../replay/token.js";
import { actorOf } from "./actor.js";
import { DEFAULT_DELIVERY_WAIT_MS } from "./delivery.js";

export interface ResumeOptions {
  /**
   * A repeat with the same key (for this token) and the same payload records nothing and returns
   * the first answer; the same key with another payload throws IdempotencyConflictError.
   */
  idempotencyKey?: string;
  /**
   * "keep" (custom tokens only): if no hook has the token yet, keep the payload and deliver it,
   * first and once, to the next hook created with it. Default "error": HookNotFoundError.
   */
  ifMissing?: "error" | "keep";
  /**
   * "recorded" (default): return once the payload is validated here and recorded. "delivered":
   * also wait for the run's worker to take it, so that the hook's own schema has checked it where
   * the workflow code is; throws PayloadValidationError (`recorded: true`) if it turned it down,
   * DeliveryPendingError if no worker took it within `waitTimeout`.
   */
  wait?: "recorded" | "delivered";
  /** With `wait: "delivered"`: how long to wait (default 30 s). A duration or milliseconds. */
  waitTimeout?: Duration;
  /** Who sends the payload: recorded with it (`by` on hook.received / hook.rejected). */
  by?: Actor | string;
  /** Where it came from, e.g. "api", "cli", "dashboard" (recorded with it). */
  channel?: string;
}

export interface ResumeResult {
  /** The run and hook the payload went to; undefined when it was kept for a future hook. */
  runId?: string;
  hookId?: string;
  /** True when no hook had the token and the payload was kept (`ifMissing: "keep"`). */
  kept: boolean;
  /** True when this was a repeat of an earlier call with the same idempotency key. */
  repeated: boolean;
  /** With `wait: "delivered"`: true, the run's worker took it (else the call threw). */
  delivered?: boolean;
}

/** ResumeOptions checked, defaults filled in. */
export interface ResumeSettings {
  ifMissing: "error" | "keep";
  idempotencyKey: string | undefined;
  wait: "recorded" | "delivered";
  /** How long `wait: "delivered"` waits, in ms. */
  waitMs: number;
  by: Actor | undefined;
  channel: string | undefined;
}

/**
 * Checks a resume's options before anything is sent, each refusal naming its field and the fix.
 * @throws InvalidArgumentError
 */
export function resumeSettings(token: string, options: ResumeOptions): ResumeSettings {
  const ifMissing = options.ifMissing ?? "error";
  if (ifMissing !== "error" && ifMissing !== "keep") {
    throw new InvalidArgumentError(
      "ifMissing",
      `${quoteInput(ifMissing)} is not an option`,
      'Use "error" or "keep".',
    );
  }
  if (ifMissing === "keep" && isDefaultToken(token)) {
    throw new InvalidArgumentError(
      "ifMissing",
      '"keep" only applies to custom tokens; this is a generated <runId>:<hookId> token',
      "Drop ifMissing, or give the hook a custom token.",
    );
  }
  const key = options.idempotencyKey;
  if (key !== undefined && (typeof key !== "string" || key.length === 0 || key.length > 256)) {
    throw new InvalidArgumentError(
      "idempotencyKey",
      "must be a string of 1 to 256 characters",
      "Pass a stable id of the request, such as a message id.",
    );
  }
  const wait = options.wait ?? "recorded";
  if (wait !== "recorded" && wait !== "delivered") {
    throw new InvalidArgumentError(
      "wait",
      `${JSON.stringify(wait)} is not an option`,
      'Use "recorded" (the default) or "delivered".',
    );
  }
  const waitMs =
    options.waitTimeout === undefined
      ? DEFAULT_DELIVERY_WAIT_MS
      : parseDuration(options.waitTimeout, "waitTimeout");
  const channel = options.channel;
  if (channel !== undefined && (typeof channel !== "string" || channel.length === 0 || channel.length > 64)) {
    throw new InvalidArgumentError("channel", "must be a string of 1 to 64 characters", 'Pass e.g. "api".');
  }
  return { ifMissing, idempotencyKey: key, wait, waitMs, by: actorOf(options.by, "by"), channel };
}
