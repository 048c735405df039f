import { initialSchema } from "./001-initial.js";
import { batchedCalls } from "./002-batched-calls.js";

export { ident, lit, wakeChannel } from "./sql.js";

/**
 * The numbered migration list of the PostgreSQL store. Append, never edit: a schema records the
 * versions it has in `<schema>.latch_migrations` and gets every later entry applied on open (under
 * an advisory lock, so workers starting together migrate once).
 *
 * Each entry is a function of the schema name, so one database can hold several Latch schemas
 * (one per test suite, per tenant, per environment).
 *
 * The state changes that other processes race against (create, commit, resume, cancel) are
 * PL/pgSQL functions: each is then one statement, so it costs one round trip however many rows it
 * touches, and a client paused or killed half-way never holds a lock (the server finishes or rolls
 * back the statement on its own). See ../README.md for the lock order they follow.
 */
export const POSTGRES_MIGRATIONS: readonly ((schema: string) => string)[] = [initialSchema, batchedCalls];
