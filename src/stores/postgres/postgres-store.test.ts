import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestPostgres, type TestPostgres } from "../../../test/support/postgres.js";
import { InvalidArgumentError, NotALatchDatabaseError, StoreUnavailableError } from "../../errors.js";
import { RELEASE_AFFINITY_MS } from "../../store/records.js";
import type { StoreChange } from "../../store/store.js";
import { openStore } from "../open.js";
import { POSTGRES_MIGRATIONS } from "./migrations/index.js";
import { PostgresStore } from "./postgres-store.js";

/** What only the PostgreSQL store has: URLs, connection errors, migrations shared by processes, outages. */
let server: TestPostgres;
beforeAll(async () => {
  server = await startTestPostgres();
});
afterAll(() => server?.close());

const withUrl = (url: string, change: (u: URL) => void): string => {
  const u = new URL(url);
  change(u);
  return u.toString();
};

async function query(url: string, text: string): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(text);
  } finally {
    await c.end();
  }
}

describe("opening a PostgreSQL store", () => {
  it("is picked by a postgres:// URL, with the schema from ?schema=", async () => {
    const store = await openStore(withUrl(server.url, (u) => u.searchParams.set("schema", "from_url")));
    try {
      expect(store.kind).toBe("postgres");
      expect((store as PostgresStore).schema).toBe("from_url");
      await store.createRun({ id: "run_1", workflow: "wf", now: 1 });
      const rows = await query(server.url, "SELECT id FROM from_url.runs");
      expect(rows.rows).toEqual([{ id: "run_1" }]);
    } finally {
      await store.close();
    }
    const again = await openStore(`${server.url.replace("postgres://", "postgresql://")}?schema=from_url`);
    expect((await again.getRun("run_1"))?.workflow).toBe("wf");
    await again.close();
  });

  it("answers a malformed URL or schema name with InvalidArgumentError naming the field", async () => {
    const bad = await PostgresStore.open("postgres://host:notaport/db").catch((e) => e);
    expect(InvalidArgumentError.is(bad)).toBe(true);
    expect(bad.field).toBe("store");
    expect(bad.message).toContain("postgres://user:password@host:5432/database");
    const schema = await PostgresStore.open(server.url, { schema: "Bad-Name" }).catch((e) => e);
    expect(InvalidArgumentError.is(schema)).toBe(true);
    expect(schema.field).toBe("schema");
  });

  it("answers an unreachable server with StoreUnavailableError naming the target, never the password", async () => {
    const closed = withUrl(server.url, (u) => {
      u.port = "1";
      u.password = "s3cret-pw";
    });
    const started = Date.now();
    const err = await PostgresStore.open(closed, { connectTimeoutMs: 2000 }).catch((e) => e);
    expect(StoreUnavailableError.is(err)).toBe(true);
    expect(err.message).toContain("127.0.0.1:1");
    expect(err.message).toContain("Check that the server is running");
    expect(err.message).not.toContain("s3cret-pw");
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("answers a wrong password or a missing database with StoreUnavailableError saying what to fix", async () => {
    const auth = await PostgresStore.open(withUrl(server.url, (u) => (u.password = "wrong"))).catch((e) => e);
    expect(StoreUnavailableError.is(auth)).toBe(true);
    expect(auth.message).toMatch(/refused user "latch".*Fix the user and password/);
    expect(auth.message).not.toContain("wrong");
    const missing = await PostgresStore.open(withUrl(server.url, (u) => (u.pathname = "/no_such_db"))).catch(
      (e) => e,
    );
    expect(StoreUnavailableError.is(missing)).toBe(true);
    expect(missing.message).toContain('the database "no_such_db" does not exist');
    expect(missing.message).toContain("createdb no_such_db");
  });

  it("refuses a schema that holds another application's tables, or a newer Latch's", async () => {
    await query(server.url, "CREATE SCHEMA other_app; CREATE TABLE other_app.runs (id int)");
    const foreign = await PostgresStore.open(server.url, { schema: "other_app" }).catch((e) => e);
    expect(NotALatchDatabaseError.is(foreign)).toBe(true);
    expect(foreign.message).toContain("?schema=");

    const store = await PostgresStore.open(server.url, { schema: "newer" });
    await store.close();
    await query(
      server.url,
      `INSERT INTO newer.latch_migrations (version) VALUES (${POSTGRES_MIGRATIONS.length + 1})`,
    );
    const newer = await PostgresStore.open(server.url, { schema: "newer" }).catch((e) => e);
    expect(NotALatchDatabaseError.is(newer)).toBe(true);
    expect(newer.message).toContain("Upgrade latch");
  });

  it("migrates once when many processes open a new schema at the same moment", async () => {
    const stores = await Promise.all(
      Array.from({ length: 6 }, () => PostgresStore.open(server.url, { schema: "together" })),
    );
    const versions = await query(
      server.url,
      "SELECT version FROM together.latch_migrations ORDER BY version",
    );
    expect(versions.rows.map((r) => r.version)).toEqual(POSTGRES_MIGRATIONS.map((_, i) => i + 1));
    await Promise.all(stores.map((s) => s.close()));
  });

  it("refuses calls after close with ClosedError", async () => {
    const store = await PostgresStore.open(server.url, { schema: "closing" });
    await store.close();
    await store.close();
    await expect(store.getRun("x")).rejects.toMatchObject({ code: "CLOSED" });
  });
});

describe("a PostgreSQL outage", () => {
  // Stops and restarts a server of its own, so it needs one this test started (not LATCH_TEST_DATABASE_URL).
  let own: TestPostgres | undefined;
  beforeAll(async () => {
    if (!process.env.LATCH_TEST_DATABASE_URL) own = await startTestPostgres();
  });
  afterAll(() => own?.close());

  it.runIf(!process.env.LATCH_TEST_DATABASE_URL)(
    "fails calls fast with a retryable StoreUnavailableError, then carries on when the server is back",
    async () => {
      const store = await PostgresStore.open(own!.url, { connectTimeoutMs: 2000 });
      const other = await PostgresStore.open(own!.url);
      let rings = 0;
      const stop = store.watch(() => rings++);
      await store.listening();
      try {
        await other.createRun({ id: "run_1", workflow: "wf", now: 1 });
        await own!.stopServer();

        const started = Date.now();
        const err = await store
          .resumeHook({ token: "t", payload: "1", ifMissing: "keep", now: 2 })
          .catch((e) => e);
        expect(StoreUnavailableError.is(err)).toBe(true);
        expect(err.message).toContain("could not reach PostgreSQL");
        expect(err.message).toContain("safe to retry");
        expect(err.message).toContain("idempotencyKey");
        expect(Date.now() - started).toBeLessThan(5000);
        expect(StoreUnavailableError.is(await store.getRun("run_1").catch((e) => e))).toBe(true);

        await own!.startServer();
        const before = rings;
        expect((await store.getRun("run_1"))?.id).toBe("run_1");
        expect(await store.resumeHook({ token: "t", payload: "1", ifMissing: "keep", now: 3 })).toMatchObject(
          {
            status: "kept",
          },
        );
        // The listener reconnects on its own and rings once (it may have missed something)…
        const until = Date.now() + 15_000;
        while (rings === before && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
        expect(rings).toBeGreaterThan(before);
        // …and hears other processes again.
        await store.listening();
        const after = rings;
        await other.createRun({ id: "run_2", workflow: "wf", now: 4 });
        const until2 = Date.now() + 5000;
        while (rings === after && Date.now() < until2) await new Promise((r) => setTimeout(r, 20));
        expect(rings).toBeGreaterThan(after);
      } finally {
        stop();
        await store.close();
        await other.close();
      }
    },
    40_000,
  );
});

describe("resume affinity and worker liveness", () => {
  it("names a connected worker in a payload's notification and leaves it the run; a gone worker's run goes on at once", async () => {
    const url = withUrl(server.url, (u) => u.searchParams.set("schema", "affinity"));
    const [w1, w2, client] = await Promise.all([
      PostgresStore.open(url),
      PostgresStore.open(url),
      PostgresStore.open(url),
    ]);
    const changes: StoreChange[] = [];
    const stopW1 = w1.watch(() => {}, { owner: "wkr_one" });
    const stopW2 = w2.watch((c) => c && changes.push(c), { owner: "wkr_two" });
    await Promise.all([w1.listening(), w2.listening()]);
    try {
      const suspendAt = async (runId: string, token: string) => {
        await client.createRun({ id: runId, workflow: "wf", now: 1 });
        const [claim] = await w1.claimRuns({
          owner: "wkr_one",
          now: 1,
          leaseMs: 60_000,
          limit: 1,
          workflows: ["wf"],
          ids: [runId],
        });
        const [res] = await w1.commit([
          {
            runId,
            owner: "wkr_one",
            expectedSeq: claim!.run.seq,
            now: 2,
            events: [{ type: "run.suspended" }],
            registerHooks: [{ hookId: `hook_${runId}`, token, kind: "hook", adoptEarly: false }],
            status: "suspended",
            release: {},
          },
        ]);
        expect(res?.ok).toBe(true);
      };
      const scan = (now: number) =>
        w2.claimRuns({ owner: "wkr_two", now, leaseMs: 60_000, limit: 10, workflows: ["wf"] });
      const payloadNamed = async (runId: string) => {
        const until = Date.now() + 5000;
        for (;;) {
          const found = changes.flatMap((c) => c.payloads).find((p) => p.runId === runId);
          if (found || Date.now() > until) return found;
          await new Promise((r) => setTimeout(r, 10));
        }
      };

      await suspendAt("run_live", "tok_live");
      await client.resumeHook({ token: "tok_live", payload: "1", ifMissing: "error", now: 10 });
      expect(await payloadNamed("run_live")).toEqual({ runId: "run_live", lastOwner: "wkr_one" });
      expect(await scan(10 + RELEASE_AFFINITY_MS - 1)).toEqual([]);
      expect((await scan(10 + RELEASE_AFFINITY_MS)).map((c) => c.run.id)).toEqual(["run_live"]);

      await suspendAt("run_orphan", "tok_orphan");
      stopW1(); // wkr_one's connection closes: it is gone
      await w1.close();
      await client.resumeHook({ token: "tok_orphan", payload: "1", ifMissing: "error", now: 20 });
      expect(await payloadNamed("run_orphan")).toEqual({ runId: "run_orphan" });
      expect((await scan(20)).map((c) => c.run.id)).toEqual(["run_orphan"]);
    } finally {
      stopW1();
      stopW2();
      await Promise.all([w1.close(), w2.close(), client.close()]);
    }
  });
});
