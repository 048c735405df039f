import { accessSync, constants, existsSync, mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import Database from "better-sqlite3";
import { NotALatchDatabaseError, StoreNotFoundError, StoreUnavailableError } from "../../errors.js";
import { pendingMigrations } from "../migration-policy.js";
import { SQLITE_MIGRATIONS } from "./migrations.js";

/** Written to `PRAGMA application_id` so a Latch database is recognisable ("LATC"). */
const APPLICATION_ID = 0x4c415443;

export interface OpenDatabaseOptions {
  /** "normal": synchronous=NORMAL (default); "full": synchronous=FULL. */
  durability?: "normal" | "full";
  /** false: a missing file is StoreNotFoundError, and nothing is made. */
  create?: boolean;
}

/**
 * Opens a Latch database file (or ":memory:"), checked, tuned and migrated: the file and its
 * folder must be writable, the file must be a Latch database (or new), and its schema one this
 * Latch knows. Answers the absolute path (":memory:" as is) and the connection.
 * @throws StoreNotFoundError with `create: false` when there is no file at `path`.
 * @throws StoreUnavailableError when the file or its folder cannot be written.
 * @throws NotALatchDatabaseError when the file is another kind of file or database.
 */
export function openDatabase(
  path: string,
  options: OpenDatabaseOptions,
): { file: string; db: Database.Database } {
  const memory = path === ":memory:" || path === "";
  const file = memory ? ":memory:" : resolve(path);
  if (!memory) checkFile(file, options.create !== false);
  let db: Database.Database;
  try {
    db = new Database(file);
    db.pragma("busy_timeout = 10000");
  } catch (err) {
    throw new StoreUnavailableError(
      `store: cannot open the database at ${file}: ${(err as Error).message}.`,
      {
        cause: err,
      },
    );
  }
  try {
    migrate(db, file, options);
  } catch (err) {
    db.close();
    throw typedOpenError(err, file);
  }
  return { file, db };
}

/** The folder can be made and written, and an existing file read and written. */
function checkFile(file: string, create: boolean): void {
  if (!create && !existsSync(file)) throw new StoreNotFoundError(file);
  const dir = dirname(file);
  try {
    if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    if (existsSync(file)) accessSync(file, constants.R_OK | constants.W_OK);
  } catch (err) {
    throw new StoreUnavailableError(
      `store: cannot write the database at ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}). ` +
        "Pick a path in a writable folder with --db / LATCH_DATABASE_URL, or fix the folder's permissions.",
      { cause: err },
    );
  }
}

function migrate(db: Database.Database, file: string, options: OpenDatabaseOptions): void {
  const version = db.pragma("user_version", { simple: true }) as number;
  const pending = pendingMigrations(
    {
      where: file,
      marked: db.pragma("application_id", { simple: true }) === APPLICATION_ID,
      version,
      tables: (
        db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]
      ).map((t) => t.name),
      foreignFix:
        "Latch keeps its own file: point --db / LATCH_DATABASE_URL at a new path such as .latch/latch.db.",
    },
    SQLITE_MIGRATIONS,
  );
  if (file !== ":memory:") db.pragma("journal_mode = WAL");
  db.pragma(`synchronous = ${options.durability === "full" ? "FULL" : "NORMAL"}`);
  db.pragma("temp_store = MEMORY");
  db.pragma("cache_size = -8000");
  if (pending.length === 0) return;
  db.transaction(() => {
    for (const m of pending) db.exec(m);
    db.pragma(`application_id = ${APPLICATION_ID}`);
    db.pragma(`user_version = ${SQLITE_MIGRATIONS.length}`);
  }).immediate();
}

/** A failure while checking or migrating, as the typed error a caller can act on. */
function typedOpenError(err: unknown, file: string): unknown {
  if (err instanceof NotALatchDatabaseError) return err;
  const code = (err as { code?: string }).code ?? "";
  if (code === "SQLITE_NOTADB" || code === "SQLITE_CORRUPT") {
    return new NotALatchDatabaseError(
      `store: ${file} is not a SQLite database. Point --db / LATCH_DATABASE_URL at a Latch database or a new file.`,
      { cause: err },
    );
  }
  if (code === "SQLITE_READONLY" || code === "SQLITE_CANTOPEN" || code === "SQLITE_IOERR") {
    return new StoreUnavailableError(`store: cannot write the database at ${file} (${code}).`, {
      cause: err,
    });
  }
  return err;
}
