import type pg from "pg";
import { StoreUnavailableError } from "../../errors.js";
import { pendingMigrations } from "../migration-policy.js";
import type { PostgresTarget } from "./connection.js";
import { ident, POSTGRES_MIGRATIONS } from "./migrations/index.js";

/** Tables a schema must not already have unless Latch made them. */
const OWN_TABLES = ["runs", "events", "hooks", "inbox", "workflows"];

/**
 * Brings a schema to this Latch's version (see migration-policy.ts), in one transaction under an
 * advisory lock: workers starting together migrate once, the others wait and find it done.
 * @throws StoreUnavailableError for a server older than PostgreSQL 12 or a user who may not create the schema.
 * @throws NotALatchDatabaseError for another application's tables or a schema version this Latch does not know.
 */
export async function migrate(pool: pg.Pool, schema: string, target: PostgresTarget): Promise<void> {
  const client = await pool.connect();
  try {
    const version = Number((await client.query("SHOW server_version_num")).rows[0].server_version_num);
    if (version < 120000) {
      throw new StoreUnavailableError(
        `store: ${target.label} runs PostgreSQL ${Math.floor(version / 10000)}; Latch needs PostgreSQL 12 or newer. Upgrade the server.`,
      );
    }
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock(hashtext('latch.migrate'), hashtext($1))", [schema]);
    const tables = new Set(
      (
        await client.query(
          `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')`,
          [schema],
        )
      ).rows.map((r) => r.relname as string),
    );
    const s = ident(schema);
    const marked = tables.has("latch_migrations");
    const current = marked
      ? Number((await client.query(`SELECT max(version) AS v FROM ${s}.latch_migrations`)).rows[0].v ?? 0)
      : 0;
    const pending = pendingMigrations(
      {
        where: `the schema ${JSON.stringify(schema)} in ${target.label}`,
        marked,
        version: current,
        tables: OWN_TABLES.filter((t) => tables.has(t)),
        foreignFix:
          "Give Latch its own schema: add ?schema=latch_app to the postgres:// URL or pass { schema }.",
      },
      POSTGRES_MIGRATIONS,
    );
    if (pending.length) {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${s}.latch_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      for (const [i, migration] of pending.entries()) {
        await client.query(migration(schema));
        await client.query(`INSERT INTO ${s}.latch_migrations (version) VALUES ($1)`, [current + i + 1]);
      }
    }
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    if ((err as { code?: string }).code === "42501") {
      throw new StoreUnavailableError(
        `store: user ${JSON.stringify(target.user)} may not create the schema ${JSON.stringify(schema)} in ${target.label}. ` +
          `Create it once as an owner (CREATE SCHEMA ${schema} AUTHORIZATION ${target.user}) or grant CREATE on the database.`,
        { cause: err },
      );
    }
    throw err;
  } finally {
    client.release();
  }
}
