/** SQL text helpers shared by the migrations and the queries. */

/** How long the committing worker has to confirm a lifecycle delivery before others retry it, by default. */
export const OUTBOX_LEASE_MS = 30_000;

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
