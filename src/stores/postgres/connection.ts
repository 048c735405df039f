import pg from "pg";
import {
  ClosedError,
  InvalidArgumentError,
  LatchError,
  StoreConnectionError,
  StoreUnavailableError,
} from "../../errors.js";

/**
 * Connection settings of a PostgresStore. The defaults suit a worker process next to a few others
 * on one server: 10 connections per process × N processes must stay under the server's
 * `max_connections` (100 by default), so 3–8 worker processes per server need no tuning.
 */
export interface PostgresPoolOptions {
  /** Connections this process opens at most (default 10). Claims, commits, heartbeats and reads share them. */
  max?: number;
  /** An idle connection is closed after this many ms (default 30,000), so quiet processes hold none. */
  idleTimeoutMs?: number;
  /** Giving up on opening a connection (or waiting for a free one) after this many ms (default 5,000). */
  connectTimeoutMs?: number;
  /**
   * A statement with no answer after this many ms fails (default 30,000) rather than hang when the
   * server stops answering without closing the connection (paused, network cut).
   */
  queryTimeoutMs?: number;
}

/** Where a store connects, for messages: never the password. */
export interface PostgresTarget {
  user: string;
  host: string;
  port: string;
  database: string;
  /** user@host:port/database */
  label: string;
}

export const DEFAULT_SCHEMA = "latch";
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,39}$/;

/**
 * Reads a postgres:// URL: the connection string for the driver (without Latch's own `schema`
 * parameter), the schema, and a password-free label of the target for error messages.
 */
export function parsePostgresUrl(url: string): {
  connectionString: string;
  schema?: string;
  target: PostgresTarget;
} {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new InvalidArgumentError(
      "store",
      "is not a valid PostgreSQL URL",
      "Use postgres://user:password@host:5432/database (percent-encode special characters in the password).",
    );
  }
  if (u.protocol !== "postgres:" && u.protocol !== "postgresql:") {
    throw new InvalidArgumentError(
      "store",
      `has the scheme ${u.protocol}`,
      "Use postgres://user:password@host:5432/database.",
    );
  }
  const schema = u.searchParams.get("schema") ?? undefined;
  u.searchParams.delete("schema");
  const user = decodeURIComponent(u.username) || process.env.PGUSER || "postgres";
  const host = u.hostname || u.searchParams.get("host") || process.env.PGHOST || "localhost";
  const port = u.port || process.env.PGPORT || "5432";
  const database = decodeURIComponent(u.pathname.slice(1)) || process.env.PGDATABASE || user;
  return {
    connectionString: u.toString(),
    schema,
    target: { user, host, port, database, label: `${user}@${host}:${port}/${database}` },
  };
}

/** Checks a schema name: lower-case letters, digits and _, so it never needs quoting rules explained. */
export function checkSchema(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new InvalidArgumentError(
      "schema",
      `${JSON.stringify(schema)} is not a schema name Latch accepts`,
      "Use 1 to 40 lower-case letters, digits or _, starting with a letter or _ (such as latch or latch_test).",
    );
  }
  return schema;
}

/** A pool whose bigint columns come back as numbers (times in ms fit easily) without touching pg's globals. */
export function createPool(connectionString: string, options: PostgresPoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 10,
    idleTimeoutMillis: options.idleTimeoutMs ?? 30_000,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    query_timeout: options.queryTimeoutMs ?? 30_000,
    keepAlive: true,
    application_name: "latch",
    types: { getTypeParser: parserFor as never },
  });
  // An idle connection that ends (server restart) is reported here; the pool replaces it on the
  // next query, and the query that meets the outage gets the error instead.
  pool.on("error", () => {});
  return pool;
}

export function parserFor(oid: number, format?: "text" | "binary"): unknown {
  return oid === 20 ? Number : pg.types.getTypeParser(oid, format);
}

/** Error codes that mean "the server cannot be reached or went away", not "the statement is wrong". */
const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "57P01", // admin_shutdown: the server is stopping
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now: the server is starting up or shutting down
  "53300", // too_many_connections
]);

/**
 * Turns a driver error into Latch's typed errors. Connection failures become StoreUnavailableError
 * with a message that says what to check and that retrying is safe; any other error is returned as is.
 */
export function mapPostgresError(err: unknown, target: PostgresTarget, operation: string): unknown {
  if (LatchError.is(err)) return err;
  const e = err as { code?: string; message?: string };
  const code = e?.code ?? "";
  const message = e?.message ?? String(err);
  if (code === "28P01" || code === "28000") {
    return new StoreUnavailableError(
      `store: PostgreSQL at ${target.host}:${target.port} refused user ${JSON.stringify(target.user)} (${code}: ${message}). ` +
        "Fix the user and password in the postgres:// URL (--db / LATCH_DATABASE_URL).",
      { cause: err },
    );
  }
  if (code === "3D000") {
    return new StoreUnavailableError(
      `store: the database ${JSON.stringify(target.database)} does not exist on ${target.host}:${target.port}. ` +
        `Create it (createdb ${target.database}) or fix the database name in the postgres:// URL.`,
      { cause: err },
    );
  }
  if (/Cannot use a pool after calling end/.test(message)) {
    return new ClosedError(
      `store: ${operation} was called after the PostgreSQL store was closed; open a new one`,
    );
  }
  const lost =
    CONNECTION_CODES.has(code) ||
    code.startsWith("08") ||
    /Connection terminated|connection timeout|timeout exceeded when trying to connect|Query read timeout|not queryable/i.test(
      message,
    );
  if (lost) {
    return new StoreConnectionError(
      `store: ${operation} could not reach PostgreSQL at ${target.label} (${code || message}). ` +
        "Check that the server is running and that host and port in the postgres:// URL are right. " +
        "The call is safe to retry once the server answers (resumeHook: pass the same idempotencyKey, " +
        "so a payload that did reach the database is not recorded twice).",
      { cause: err },
    );
  }
  return err;
}
