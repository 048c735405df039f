import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { SqliteStore } from "../../src/stores/sqlite/sqlite-store.js";
import { describeStoreConformance } from "./store-conformance.js";

describeStoreConformance("sqlite :memory:", { open: async () => SqliteStore.open(":memory:") });

const dir = mkdtempSync(join(tmpdir(), "latch-conformance-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

describeStoreConformance("sqlite file", {
  open: async () => SqliteStore.open(join(dir, `store-${++files}.db`)),
  reopen: async (store) => SqliteStore.open((store as SqliteStore).path),
});
