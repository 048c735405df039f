import { LatchError } from "./base.js";

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
