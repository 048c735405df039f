import { type ClaimedRun, type OutboxEntry, RELEASE_AFFINITY_MS } from "../../store/records.js";
import { toOutboxEntries } from "../outbox.js";
import { type Row, toInbox, toRun } from "../rows.js";
import type { SqliteConnection } from "./connection.js";

/** Who holds what, for how long: claims of runs and deliveries, leases, timers, workflow names. */

export interface ClaimOptions {
  owner: string;
  now: number;
  leaseMs: number;
  limit: number;
  workflows: string[];
}

export async function claimRuns(
  c: SqliteConnection,
  opts: ClaimOptions & { ids?: string[] },
): Promise<ClaimedRun[]> {
  const { owner, now, leaseMs, limit, workflows, ids } = opts;
  if (workflows.length === 0 || ids?.length === 0) return [];
  return c.write(() => {
    takeOverFromDead(c);
    c.workers.register(owner, now);
    // Picked and updated in one write transaction: no other writer comes in between.
    const claimable = `wake_at <= ? AND (owner IS NULL OR lease_until < ?)
      AND workflow IN (${workflows.map(() => "?").join(",")})`;
    const picked = (
      ids
        ? c
            .stmt(
              `SELECT id, owner IS NOT NULL AS recovered FROM runs
                WHERE id IN (SELECT value FROM json_each(?) LIMIT ?) AND ${claimable}`,
            )
            .all(JSON.stringify(ids), limit, now, now, ...workflows)
        : c
            .stmt(
              `SELECT id, owner IS NOT NULL AS recovered FROM runs WHERE ${claimable}
                 AND (last_owner IS NULL OR last_owner = ? OR wake_at <= ?)
               ORDER BY wake_at LIMIT ?`,
            )
            .all(now, now, ...workflows, owner, now - RELEASE_AFFINITY_MS, limit)
    ) as { id: string; recovered: number }[];
    if (picked.length === 0) return [];
    const recovered = new Set(picked.filter((p) => p.recovered === 1).map((p) => p.id));
    const rows = c
      .stmt(
        `UPDATE runs SET owner = ?, lease_until = ?, status = 'running', updated_at = ?
          WHERE id IN (SELECT value FROM json_each(?)) RETURNING *`,
      )
      .all(owner, now + leaseMs, now, JSON.stringify(picked.map((p) => p.id))) as Row[];
    const inbox = c.stmt("SELECT * FROM inbox WHERE run_id = ? AND consumed_at IS NULL ORDER BY id");
    return rows.map((row) => ({
      run: toRun(row),
      recovered: recovered.has(row.id),
      inbox: row.pending_inbox > 0 ? (inbox.all(row.id) as Row[]).map(toInbox) : [],
    }));
  });
}

export async function renewLeases(
  c: SqliteConnection,
  owner: string,
  runIds: string[],
  now: number,
  leaseMs: number,
): Promise<string[]> {
  if (runIds.length === 0) return [];
  const held = new Set<string>();
  await c.write(() => {
    const s = c.stmt("UPDATE runs SET lease_until = ? WHERE id = ? AND owner = ? RETURNING id");
    for (const id of runIds) {
      const r = s.get(now + leaseMs, id, owner) as Row | undefined;
      if (r) held.add(r.id);
    }
  });
  return runIds.filter((id) => !held.has(id));
}

export function ownedRunsWithWork(c: SqliteConnection, owner: string): string[] {
  return (
    c
      .stmt("SELECT id FROM runs WHERE owner = ? AND (pending_inbox > 0 OR cancel_requested = 1)")
      .all(owner) as Row[]
  ).map((r) => r.id);
}

export function nextWakeAt(c: SqliteConnection): number | undefined {
  const row = c
    .stmt(
      `SELECT min(t) AS t FROM (
         SELECT min(wake_at) AS t FROM runs WHERE wake_at IS NOT NULL AND owner IS NULL
         UNION ALL
         SELECT min(lease_until) AS t FROM runs WHERE owner IS NOT NULL AND wake_at IS NOT NULL)`,
    )
    .get() as Row;
  return row.t ?? undefined;
}

export async function registerWorkflows(c: SqliteConnection, names: string[], now: number): Promise<void> {
  await c.write(() => {
    const s = c.stmt(
      "INSERT INTO workflows (name, seen_at) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET seen_at = excluded.seen_at",
    );
    for (const n of names) s.run(n, now);
  });
}

export async function claimOutbox(c: SqliteConnection, opts: ClaimOptions): Promise<OutboxEntry[]> {
  if (opts.workflows.length === 0) return [];
  return c.write(() => {
    takeOverFromDead(c);
    c.workers.register(opts.owner, opts.now);
    return toOutboxEntries(
      c
        .stmt(
          `UPDATE outbox SET owner = ?, lease_until = ?, attempts = attempts + 1
           WHERE id IN (SELECT id FROM outbox WHERE lease_until < ?
                          AND workflow IN (${opts.workflows.map(() => "?").join(",")})
                        ORDER BY created_at LIMIT ?)
           RETURNING *`,
        )
        .all(opts.owner, opts.now + opts.leaseMs, opts.now, ...opts.workflows, opts.limit) as Row[],
    );
  });
}

export async function ackOutbox(c: SqliteConnection, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await c.write(() => {
    for (let i = 0; i < ids.length; i += 64) {
      const chunk = ids.slice(i, i + 64);
      c.stmt(`DELETE FROM outbox WHERE id IN (${chunk.map(() => "?").join(",")})`).run(...chunk);
    }
  });
}

/**
 * Inside a claim: ends the leases of holders whose process is gone (this machine only), so this
 * claim takes their runs at once. Watchers are rung too: the freed runs and outbox deliveries
 * are then claimed by whoever watches (this claim may be for runs only, or deliveries only).
 */
function takeOverFromDead(c: SqliteConnection): void {
  if (c.workers.endLeasesOfDead() > 0) c.ring();
}
