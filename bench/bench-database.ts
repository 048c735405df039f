/**
 * The PostgreSQL database a bench runs on, and a direct view into its tables for progress counts.
 */
import pg from "pg";
import { DEFAULT_SCHEMA, parsePostgresUrl } from "../src/stores/postgres/connection.js";
import { startTestPostgres } from "../test/support/postgres.js";

export interface BenchDatabase {
  url: string;
  /** Where it came from, for the report: "LATCH_DATABASE_URL" or "embedded PostgreSQL". */
  origin: string;
  close(): Promise<void>;
}

/**
 * LATCH_DATABASE_URL when it names a PostgreSQL server (used as it is: start from an empty schema),
 * else a new embedded PostgreSQL (test/support/postgres.ts) with the given durability, removed on close.
 */
export async function benchDatabase(durability: "fast" | "default"): Promise<BenchDatabase> {
  const external = process.env.LATCH_DATABASE_URL?.trim();
  if (external?.startsWith("postgres")) {
    return { url: external, origin: "LATCH_DATABASE_URL", close: async () => {} };
  }
  const server = await startTestPostgres({ durability });
  return {
    url: server.url,
    origin: `embedded PostgreSQL (durability ${durability})`,
    close: () => server.close(),
  };
}

/**
 * Counts straight from the store's tables: polling through a client would cost more than it measures.
 * `sql` names tables as `$s.runs`; `$s` becomes the store's schema.
 */
export class TableCounter {
  private readonly client: pg.Client;
  private readonly schema: string;

  constructor(url: string) {
    const { connectionString, schema } = parsePostgresUrl(url);
    this.client = new pg.Client({ connectionString, application_name: "latch-bench-counter" });
    this.schema = schema ?? DEFAULT_SCHEMA;
  }

  async connect(): Promise<void> {
    await this.client.connect();
  }

  async rows<T>(sql: string): Promise<T[]> {
    return (await this.client.query(sql.replaceAll("$s.", `${this.schema}.`))).rows as T[];
  }

  async count(sql: string): Promise<number> {
    const [row] = await this.rows<{ n: string }>(sql);
    return Number(row?.n ?? 0);
  }

  /**
   * Polls `count(sql)` every `everyMs` until it reaches `target`. Not more often: a count reads the
   * whole table, and the server it loads is the one being measured.
   */
  async waitFor(sql: string, target: number, everyMs = 25): Promise<void> {
    while ((await this.count(sql)) < target) await new Promise((r) => setTimeout(r, everyMs));
  }

  close(): Promise<void> {
    return this.client.end();
  }
}
