import { InvalidArgumentError } from "../errors.js";
import type { Store } from "../store/store.js";
import { SqliteStore } from "./sqlite/sqlite-store.js";

/** Where Latch keeps its data when nothing else is said: an embedded SQLite file. */
export const DEFAULT_DATABASE_URL = "sqlite:.latch/latch.db";

/**
 * A store, or how to reach one: "sqlite:./path.db", "sqlite::memory:", a file path,
 * "postgres://user:pass@host:5432/db[?schema=latch]", or a Store.
 */
export type StoreSpec = string | Store;

/**
 * Opens the store a URL names. Without one: LATCH_DATABASE_URL, else the embedded default.
 * @example await openStore("sqlite:.latch/latch.db")
 */
export async function openStore(spec?: StoreSpec): Promise<Store> {
  if (spec !== undefined && typeof spec !== "string") return spec;
  const url = (spec ?? process.env.LATCH_DATABASE_URL ?? DEFAULT_DATABASE_URL).trim();
  if (url === "") {
    throw new InvalidArgumentError(
      "store",
      "is empty",
      `Pass a database URL such as ${DEFAULT_DATABASE_URL}.`,
    );
  }
  if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
    // Loaded on demand: SQLite users never load the PostgreSQL driver.
    const { PostgresStore } = await import("./postgres/postgres-store.js");
    return PostgresStore.open(url);
  }
  if (url.startsWith("sqlite:")) return SqliteStore.open(url.slice("sqlite:".length).replace(/^\/\//, ""));
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    throw new InvalidArgumentError(
      "store",
      `${JSON.stringify(url)} has a scheme Latch does not know`,
      `Use sqlite:<path> (such as ${DEFAULT_DATABASE_URL}) or postgres://user:pass@host/db.`,
    );
  }
  return SqliteStore.open(url);
}
