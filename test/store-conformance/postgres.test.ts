import { afterAll, beforeAll } from "vitest";
import { PostgresStore } from "../../src/stores/postgres/index.js";
import { startTestPostgres, type TestPostgres } from "../support/postgres.js";
import { describeStoreConformance } from "./store-conformance.js";

let pg: TestPostgres;
beforeAll(async () => {
  pg = await startTestPostgres();
});
afterAll(() => pg?.close());

// Every test gets a schema of its own in this file's database: stores start empty, and a
// second handle (another "process") opens the same schema.
let schemas = 0;
describeStoreConformance("postgres", {
  open: async () => PostgresStore.open(pg.url, { schema: `conformance_${++schemas}` }),
  reopen: async (store) => PostgresStore.open(pg.url, { schema: (store as PostgresStore).schema }),
  watchReady: (store) => (store as PostgresStore).listening(),
});
