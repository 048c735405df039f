import {
  DeliveryPendingError,
  HookConflictError,
  HookDisposedError,
  HookExpiredError,
  HookNotFoundError,
  IdempotencyConflictError,
  InvalidArgumentError,
  LatchError,
  PayloadValidationError,
  RunNotFoundError,
  StoreError,
  UnknownWorkflowError,
} from "../errors.js";

/**
 * What `latch` exits with. Stable: scripts may branch on them (documented in docs/cli.md).
 * @example latch hooks resume "$TOKEN" --payload "$P"; [ $? -eq 4 ] && echo "too late"
 */
export const EXIT = {
  /** Done. */
  OK: 0,
  /** An unexpected failure (a bug, or an error with no better code). */
  ERROR: 1,
  /** Bad command line: unknown command or option, missing argument, malformed JSON, a value out of range. */
  USAGE: 2,
  /** No run, hook or workflow has that id, token or name. */
  NOT_FOUND: 3,
  /** The hook expired or was disposed: it takes no more payloads. */
  GONE: 4,
  /**
   * The payload does not match the hook's schema: refused before it was recorded, or (`--wait`)
   * turned down by the run's worker and recorded as hook.rejected. Either way the hook still waits.
   */
  INVALID_PAYLOAD: 5,
  /**
   * A conflict: the token is held by another hook or names a webhook, or the idempotency key was
   * used before with another payload.
   */
  CONFLICT: 6,
  /** The database cannot be opened or is not a Latch database. */
  STORE: 7,
  /** `run --wait`: the run ended failed, cancelled or timed out. */
  RUN_FAILED: 8,
  /** `hooks resume --wait`: recorded, but no worker took the payload in time (it still will). */
  DELIVERY_PENDING: 9,
  /** Interrupted (Ctrl-C), or a prompt was cancelled: nothing was sent. */
  INTERRUPTED: 130,
} as const;

/** A command-line problem found by the CLI itself. */
export class UsageError extends InvalidArgumentError {
  static override readonly code: string = "USAGE";
}

/** The user cancelled a prompt or pressed Ctrl-C. */
export class InterruptedError extends LatchError {
  static override readonly code: string = "INTERRUPTED";
}

/** A failure that already carries its exit code (such as a run that ended badly). */
export class ExitError extends LatchError {
  static override readonly code: string = "EXIT";
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

export function exitCodeOf(err: unknown): number {
  if (err instanceof ExitError) return err.exitCode;
  if (InterruptedError.is(err)) return EXIT.INTERRUPTED;
  if (PayloadValidationError.is(err)) return EXIT.INVALID_PAYLOAD;
  if (DeliveryPendingError.is(err)) return EXIT.DELIVERY_PENDING;
  if (RunNotFoundError.is(err) || HookNotFoundError.is(err) || UnknownWorkflowError.is(err))
    return EXIT.NOT_FOUND;
  if (HookExpiredError.is(err) || HookDisposedError.is(err)) return EXIT.GONE;
  if (HookConflictError.is(err) || IdempotencyConflictError.is(err)) return EXIT.CONFLICT;
  if (InvalidArgumentError.is(err)) return EXIT.USAGE;
  if (StoreError.is(err)) return EXIT.STORE;
  return EXIT.ERROR;
}
