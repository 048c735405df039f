import { ClosedError, LatchError, StoreConnectionError, StoreUnavailableError } from "../../errors.js";

/** SQLite failures that say the file cannot be used now: not a bug in a query, a fault of the file. */
const UNUSABLE = /^SQLITE_(CORRUPT|NOTADB|IOERR|CANTOPEN|READONLY|FULL|PERM|AUTH|PROTOCOL|NOLFS)/;
/** Another process holds the lock past busy_timeout: trying again later is the fix. */
const BUSY = /^SQLITE_(BUSY|LOCKED)/;

/**
 * The typed error of a failure met while the store was in use. better-sqlite3 throws a TypeError
 * ("The database connection is not open") after close and a SqliteError for a damaged or vanished
 * file; callers (the HTTP API's 503, the CLI's exit 7) can only answer right when these are typed.
 * Anything else (a constraint the store relies on, a bug) is left as it is.
 */
export function typedSqliteError(err: unknown, file: string, closed: boolean): unknown {
  if (LatchError.is(err)) return err;
  if (closed) {
    return new ClosedError(`store: the SQLite database ${file} was closed; open a new store or client`, {
      cause: err,
    });
  }
  const code = (err as { code?: unknown } | null)?.code;
  const message = (err as Error | null)?.message ?? String(err);
  if (typeof code === "string" && BUSY.test(code)) {
    return new StoreConnectionError(
      `store: the database ${file} stayed locked by another process (${code}: ${message}). Try again.`,
      { cause: err },
    );
  }
  if (typeof code === "string" && UNUSABLE.test(code)) {
    return new StoreUnavailableError(
      `store: cannot read or write the database ${file} (${code}: ${message}). ` +
        "Check that the file is still there, is a Latch database and that its disk is healthy; " +
        "restore it from a backup or point --db / LATCH_DATABASE_URL at a working one.",
      { cause: err },
    );
  }
  return err;
}

/**
 * Makes every method of a store class answer failures with typed errors (typedSqliteError), at its
 * boundary: internal helpers keep seeing the driver's own errors. One wrapper instead of a
 * try/catch in each of the Store's twenty-odd methods, so a method added later is covered too.
 */
export function typeErrorsOf(
  proto: object,
  internal: readonly string[],
  where: (self: any) => { file: string; closed: boolean },
): void {
  const typed = (self: unknown, err: unknown) => {
    const w = where(self);
    return typedSqliteError(err, w.file, w.closed);
  };
  for (const name of Object.getOwnPropertyNames(proto)) {
    if (name === "constructor" || internal.includes(name)) continue;
    const desc = Object.getOwnPropertyDescriptor(proto, name);
    if (!desc || typeof desc.value !== "function") continue;
    const method = desc.value as (...args: unknown[]) => unknown;
    const wrapped = function (this: unknown, ...args: unknown[]) {
      try {
        const out = method.apply(this, args);
        return out instanceof Promise ? out.catch((err) => Promise.reject(typed(this, err))) : out;
      } catch (err) {
        throw typed(this, err);
      }
    };
    Object.defineProperty(wrapped, "name", { value: name });
    Object.defineProperty(proto, name, { ...desc, value: wrapped });
  }
}
