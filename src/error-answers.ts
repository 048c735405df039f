import { errorCodes } from "./errors.js";

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

/** How an error is answered outside the process: the HTTP API's status and the CLI's exit code. */
export interface ErrorAnswer {
  readonly status: number;
  readonly exitCode: number;
}

/**
 * The one table both surfaces read (docs/http-api.md and docs/cli.md list it), by error code. A
 * class without a row answers as its nearest parent that has one: every InvalidArgumentError is a
 * 400 / exit 2, every StoreError a 503 / exit 7.
 */
const BY_CODE: Readonly<Record<string, ErrorAnswer>> = {
  // Bad input: it names the field and the fix.
  INVALID_ARGUMENT: { status: 400, exitCode: EXIT.USAGE },
  // Unknown ids and tokens. An unknown workflow name is a body that does not fit (422) over HTTP.
  RUN_NOT_FOUND: { status: 404, exitCode: EXIT.NOT_FOUND },
  HOOK_NOT_FOUND: { status: 404, exitCode: EXIT.NOT_FOUND },
  UNKNOWN_WORKFLOW: { status: 422, exitCode: EXIT.NOT_FOUND },
  // A hook that takes no more payloads.
  HOOK_EXPIRED: { status: 410, exitCode: EXIT.GONE },
  HOOK_DISPOSED: { status: 410, exitCode: EXIT.GONE },
  // A taken token, an idempotency key reused with another payload.
  HOOK_CONFLICT: { status: 409, exitCode: EXIT.CONFLICT },
  IDEMPOTENCY_CONFLICT: { status: 409, exitCode: EXIT.CONFLICT },
  PAYLOAD_INVALID: { status: 422, exitCode: EXIT.INVALID_PAYLOAD },
  // Recorded, not yet taken by a worker: accepted for processing.
  DELIVERY_PENDING: { status: 202, exitCode: EXIT.DELIVERY_PENDING },
  // The database is down, damaged or not Latch's; a closed client cannot reach it either.
  STORE_ERROR: { status: 503, exitCode: EXIT.STORE },
  CLOSED: { status: 503, exitCode: EXIT.ERROR },
};

/** Anything else: a bug, or an error with no better answer (the server logs it). */
const UNEXPECTED: ErrorAnswer = { status: 500, exitCode: EXIT.ERROR };

/**
 * The status and exit code of any thrown value, also of an error from another copy of latch or
 * rebuilt from the event log (it carries its codes).
 * @example answerOf(new HookExpiredError(token)) // { status: 410, exitCode: 4 }
 */
export function answerOf(err: unknown): ErrorAnswer {
  for (const code of errorCodes(err)) {
    const answer = BY_CODE[code];
    if (answer) return answer;
  }
  return UNEXPECTED;
}
