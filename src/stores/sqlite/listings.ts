import type {
  HookCountFilter,
  HookCounts,
  HookFilter,
  HookRecord,
  Page,
  RunCountFilter,
  RunCounts,
  RunFilter,
  RunRecord,
} from "../../store/records.js";
import {
  countStatement,
  type Listing,
  pageStatement,
  SQLITE_PLACEHOLDER,
  type Statement,
} from "../listing.js";
import { hookCounts, type Row, runCounts, toHook, toRun } from "../rows.js";
import type { SqliteConnection } from "./connection.js";

/** Reads for surfaces: pages and counts of runs and hooks, a hook by token, workflow names. */

const all = (c: SqliteConnection, s: Statement) => c.stmt(s.text).all(...s.args) as Row[];

function page<T>(c: SqliteConnection, listing: Listing, map: (row: Row) => T): Page<T> {
  const s = pageStatement(listing, SQLITE_PLACEHOLDER);
  return s.page(all(c, s), map);
}

export const listRuns = (c: SqliteConnection, filter: RunFilter): Page<RunRecord> =>
  page(c, { kind: "runs", table: "runs", filter }, toRun);

export const countRuns = (c: SqliteConnection, filter: RunCountFilter): RunCounts =>
  runCounts(all(c, countStatement({ kind: "runs", table: "runs", filter }, SQLITE_PLACEHOLDER)));

export const listHooks = (c: SqliteConnection, filter: HookFilter): Page<HookRecord> =>
  page(c, { kind: "hooks", table: "hooks", filter }, toHook);

export const countHooks = (c: SqliteConnection, filter: HookCountFilter): HookCounts =>
  hookCounts(all(c, countStatement({ kind: "hooks", table: "hooks", filter }, SQLITE_PLACEHOLDER)));

/** The pending hook with this token, else the most recent one that had it. */
export function getHook(c: SqliteConnection, token: string): HookRecord | undefined {
  const row = c
    .stmt(
      "SELECT * FROM hooks WHERE token = ? ORDER BY status = 'pending' DESC, created_at DESC, id DESC LIMIT 1",
    )
    .get(token) as Row | undefined;
  return row ? toHook(row) : undefined;
}

export function listWorkflows(c: SqliteConnection): string[] {
  return (c.stmt("SELECT name FROM workflows ORDER BY name").all() as Row[]).map((r) => r.name);
}
