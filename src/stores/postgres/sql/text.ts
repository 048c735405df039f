import { TERMINAL_STATUSES } from "../../../store/records.js";

/** SQL text helpers shared by the migration and the queries. */

/** The LISTEN/NOTIFY channel of a schema: run created, payload accepted, cancel requested. */
export function wakeChannel(schema: string): string {
  return `${schema}.wake`;
}

/** A quoted SQL identifier (the schema name may be a reserved word such as "user"). */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A SQL string literal. */
export function lit(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** Whether a run status (an SQL text expression) is final: TERMINAL_STATUSES of src/store/records.ts. */
export function isTerminalSql(status: string): string {
  return `coalesce(${status} IN (${TERMINAL_STATUSES.map(lit).join(", ")}), false)`;
}
