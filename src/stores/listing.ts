import type { HookFilter, Page, RunFilter } from "../store/records.js";
import { decodeCursor, encodeCursor, pageSize } from "./paging.js";
import type { Row } from "./rows.js";

/**
 * The listings and counts of runs and hooks, as SQL both stores run: the same filters, the same
 * keyset pages (newest first, by created_at then id), only the parameter syntax differs.
 */

/** Adds a value to a statement's parameters and answers its placeholder. */
export type Placeholder = (args: unknown[], value: unknown) => string;
export const SQLITE_PLACEHOLDER: Placeholder = (args, value) => {
  args.push(value);
  return "?";
};
export const POSTGRES_PLACEHOLDER: Placeholder = (args, value) => `$${args.push(value)}`;

export interface Statement {
  text: string;
  args: unknown[];
}

/**
 * What is listed or counted, and how it is filtered. `table` is the table's name as the statement
 * must spell it (schema-qualified on PostgreSQL).
 */
export type Listing =
  | { kind: "runs"; table: string; filter: RunFilter }
  | { kind: "hooks"; table: string; filter: HookFilter };

/** The WHERE conditions of a filter; parameters are added to `args`. */
function conditions(l: Listing, args: unknown[], p: Placeholder): string[] {
  const where: string[] = [];
  if (l.kind === "runs") {
    const { status, workflow } = l.filter;
    const statuses = status === undefined ? [] : Array.isArray(status) ? status : [status];
    if (statuses.length) where.push(`status IN (${statuses.map((s) => p(args, s)).join(", ")})`);
    if (workflow) where.push(`workflow = ${p(args, workflow)}`);
    return where;
  }
  for (const [column, value] of [
    ["status", l.filter.status],
    ["run_id", l.filter.runId],
    ["name", l.filter.name],
  ] as const) {
    if (value) where.push(`${column} = ${p(args, value)}`);
  }
  return where;
}

const whereClause = (where: string[]) => (where.length ? `WHERE ${where.join(" AND ")}` : "");

/** `status, n` rows: how many matching rows have each status (see runCounts / hookCounts). */
export function countStatement(l: Listing, p: Placeholder): Statement {
  const args: unknown[] = [];
  const where = conditions(l, args, p);
  return { text: `SELECT status, count(*) AS n FROM ${l.table} ${whereClause(where)} GROUP BY status`, args };
}

/**
 * One keyset page, newest first: the statement, and how its rows (one more than the page, to
 * know whether another follows) become the page.
 * @throws InvalidArgumentError for a cursor this store did not give out or a limit out of range.
 */
export function pageStatement(
  l: Listing,
  p: Placeholder,
): Statement & { page<T>(rows: Row[], map: (row: Row) => T): Page<T> } {
  const args: unknown[] = [];
  const where = conditions(l, args, p);
  const cursor = decodeCursor(l.filter.cursor);
  if (cursor) {
    where.push(
      `(created_at < ${p(args, cursor.at)} OR (created_at = ${p(args, cursor.at)} AND id < ${p(args, cursor.id)}))`,
    );
  }
  const limit = pageSize(l.filter.limit);
  return {
    text: `SELECT * FROM ${l.table} ${whereClause(where)} ORDER BY created_at DESC, id DESC LIMIT ${p(args, limit + 1)}`,
    args,
    page(rows, map) {
      const shown = rows.slice(0, limit);
      const last = shown[shown.length - 1];
      return {
        items: shown.map(map),
        nextCursor: rows.length > limit && last ? encodeCursor(Number(last.created_at), last.id) : undefined,
      };
    },
  };
}
