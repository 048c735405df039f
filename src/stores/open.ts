import { InvalidArgumentError, quoteInput } from "../errors.js";
import type { Store } from "../store/store.js";

/** Where Latch keeps its data when nothing else is said: an embedded SQLite file. */
export const DEFAULT_DATABASE_URL = "sqlite:.latch/latch.db";

/**
 * A store, or how to reach one: "sqlite:./path.db", "sqlite::memory:", a file path,
 * "postgres://user:pass@host:5432/db[?schema=latch]", or a Store.
 */
export type StoreSpec = string | Store;

export interface OpenStoreOptions {
  /**
   * Whether a SQLite file that does not exist may be made (with its folders). Default true, as a
   * process that runs workflows needs; false for processes that only read, start or resume, so a
   * mistyped path is StoreNotFoundError instead of a new empty database. PostgreSQL: the database
   * must exist either way; its tables are made by whichever process opens it first.
   */
  create?: boolean;
}

const ACCEPTED =
  `Use sqlite:<path> (such as ${DEFAULT_DATABASE_URL}), sqlite::memory:, ` +
  "postgres://user:pass@host:5432/db, or a path to a .db file (./latch.db)";

/**
 * Opens the store a URL names; without one, the embedded default. The environment
 * (LATCH_DATABASE_URL) is read at the edges — createLatch, createClient, the CLI — not here. Only
 * the module of that kind of store is loaded: a SQLite process never loads the PostgreSQL driver,
 * and the other way round.
 * @throws InvalidArgumentError (field "store") for a value that is neither a URL nor a file path;
 *   StoreNotFoundError with `create: false` when the SQLite file does not exist.
 * @example await openStore("sqlite:.latch/latch.db")
 */
export async function openStore(spec?: StoreSpec, options: OpenStoreOptions = {}): Promise<Store> {
  if (spec !== undefined && typeof spec !== "string") return spec;
  const url = (spec ?? DEFAULT_DATABASE_URL).trim();
  if (url === "") {
    throw new InvalidArgumentError("store", "is empty", `${ACCEPTED}.`);
  }
  if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
    const { PostgresStore } = await import("./postgres/postgres-store.js");
    return PostgresStore.open(url);
  }
  if (url.startsWith("sqlite:")) return openSqlite(url.slice("sqlite:".length).replace(/^\/\//, ""), options);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    throw new InvalidArgumentError(
      "store",
      `${quoteInput(url)} has a scheme Latch does not know`,
      `${ACCEPTED}.`,
    );
  }
  // A bare value is a file path only when it looks like one: "not a url" would otherwise become a
  // database file of that name in the current folder.
  if (!looksLikePath(url)) {
    throw new InvalidArgumentError(
      "store",
      `${quoteInput(url)} is not a database URL or a file path`,
      `${ACCEPTED}.`,
    );
  }
  return openSqlite(url, options);
}

async function openSqlite(path: string, options: OpenStoreOptions): Promise<Store> {
  const { SqliteStore } = await import("./sqlite/sqlite-store.js");
  return SqliteStore.open(path, { create: options.create ?? true });
}

function looksLikePath(value: string): boolean {
  return value === ":memory:" || /[/\\]/.test(value) || /\.(db|db3|sqlite|sqlite3)$/i.test(value);
}
