import { describe } from "vitest";
import { claimsAndTimers } from "./claims-and-timers.js";
import { closed } from "./closed.js";
import type { StoreHarness } from "./harness.js";
import { hooks } from "./hooks.js";
import { inboxAndCancel } from "./inbox-and-cancel.js";
import { outbox } from "./outbox.js";
import { races } from "./races.js";
import { runsAndEvents } from "./runs-and-events.js";

export type { StoreHarness } from "./harness.js";

/**
 * THE store conformance suite: every behaviour of the Store contract (src/store/store.ts), run
 * against one implementation. Each store's test file calls this with a harness that opens fresh
 * stores of its kind; a store passes when it gives the answers the SQLite reference gives.
 *
 * @example
 * describeStoreConformance("sqlite :memory:", { open: async () => SqliteStore.open(":memory:") });
 */
export function describeStoreConformance(name: string, h: StoreHarness): void {
  describe(`store conformance: ${name}`, () => {
    describe("runs and events", () => runsAndEvents(h));
    describe("claims and timers", () => claimsAndTimers(h));
    describe("hooks", () => hooks(h));
    describe("inbox and cancel", () => inboxAndCancel(h));
    describe("outbox", () => outbox(h));
    describe("races", () => races(h));
    describe("a closed store", () => closed(h));
  });
}
