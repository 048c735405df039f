import { NotALatchDatabaseError } from "../errors.js";

/** What a store found where it keeps its tables, before migrating. */
export interface FoundSchema {
  /** How messages name the place: a file path, or `the schema "latch" in user@host:5432/db`. */
  where: string;
  /** Whether Latch's marker is there (SQLite: application_id; PostgreSQL: latch_migrations). */
  marked: boolean;
  /** The schema version recorded (0 for a new database). */
  version: number;
  /** Tables there that Latch would make (all tables, for a file of its own). */
  tables: string[];
  /** What to do about a database of another application: the second half of the message. */
  foreignFix: string;
}

/**
 * The one migration policy of every store: numbered migrations, applied in order from the version
 * a database records; a database with tables but no Latch marker is another application's and is
 * never touched; a version this Latch does not know (a newer release, or an unreleased build whose
 * migrations were later folded together) is refused rather than guessed at.
 *
 * Returns the migrations still to apply (none when up to date).
 * @throws NotALatchDatabaseError for another application's database or an unknown version.
 * @example
 * for (const m of pendingMigrations(found, SQLITE_MIGRATIONS)) db.exec(m);
 */
export function pendingMigrations<M>(found: FoundSchema, migrations: readonly M[]): M[] {
  if (!found.marked && (found.tables.length > 0 || found.version > 0)) {
    throw new NotALatchDatabaseError(
      `store: ${found.where} has tables of another application (${found.tables.join(", ")}) and no Latch marker. ${found.foreignFix}`,
    );
  }
  if (found.version > migrations.length) {
    throw new NotALatchDatabaseError(
      `store: ${found.where} has schema version ${found.version}, which this Latch does not know (it knows up to ${migrations.length}). ` +
        "It was made by a newer Latch or an unreleased build: Upgrade latch, or point it at a new database.",
    );
  }
  return migrations.slice(found.version);
}
