import { initialSchema } from "./001-initial.js";

export { ident, lit, wakeChannel } from "../sql/text.js";

/**
 * The numbered migration list of the PostgreSQL store. Append, never edit: a schema records the
 * versions it has in `<schema>.latch_migrations` and gets every later entry applied on open (under
 * an advisory lock, so workers starting together migrate once). A schema at a version this list
 * does not reach is refused (see ../../migration-policy.ts): one made by the two migrations of an
 * unreleased build, folded into migration 1 before the first release, among them.
 *
 * Each entry is a function of the schema name, so one database can hold several Latch schemas
 * (one per test suite, per tenant, per environment).
 *
 * The state changes that other processes race against (create, commit, resume, cancel) are
 * PL/pgSQL functions: each is then one statement, so it costs one round trip however many rows it
 * touches, and a client paused or killed half-way never holds a lock (the server finishes or rolls
 * back the statement on its own). See ../README.md for the lock order they follow.
 */
export const POSTGRES_MIGRATIONS: readonly ((schema: string) => string)[] = [initialSchema];
