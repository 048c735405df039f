/**
 * `latch/postgres`: the PostgreSQL store, for many workers sharing one database.
 *
 * @example
 * import { createLatch } from "latch";
 * import { PostgresStore } from "latch/postgres";
 * const store = await PostgresStore.open(process.env.LATCH_DATABASE_URL!);
 * const latch = await createLatch({ workflows: [orderApproval], store });
 */
export type { PostgresPoolOptions } from "./connection.js";
export { POSTGRES_MIGRATIONS } from "./migrations/index.js";
export { PostgresStore, type PostgresStoreOptions } from "./postgres-store.js";
