import { RELEASE_AFFINITY_MS } from "../../store/records.js";
import { ident } from "./migrations/index.js";

/**
 * The fixed SQL of the PostgreSQL store, built once per schema. Every state change is ONE
 * statement (autocommit), so it is one transaction and one round trip, and no client ever holds a
 * lock between two of its own round trips.
 */
export function postgresQueries(schema: string) {
  const s = ident(schema);
  /**
   * The end of both claims: lease the `picked` runs ($1 now, $4 owner, $5 lease ms) and return them
   * with their unconsumed payloads, which saves the worker a round trip.
   */
  const claimPicked = `, claimed AS (
        UPDATE ${s}.runs r SET owner = $4, lease_until = $1 + $5::bigint, status = 'running', updated_at = $1
          FROM picked WHERE r.id = picked.id
        RETURNING r.*, picked.recovered
      )
      SELECT c.*, CASE WHEN c.pending_inbox > 0 THEN (
          SELECT json_agg(json_build_array(i.id, i.token, i.hook_id, i.payload, i.received_at, i.sender) ORDER BY i.id)
            FROM ${s}.inbox i WHERE i.run_id = c.id AND i.consumed_at IS NULL
        ) END AS inbox
        FROM claimed c ORDER BY c.wake_at, c.id`;
  return {
    /** $1 the runs as JSON: [{id, workflow, version, input, now, event}], ids distinct. */
    createRuns: `SELECT ${s}.create_runs($1::text::jsonb) AS r`,

    /**
     * $1 now, $2 workflows, $3 limit, $4 owner, $5 lease ms. Runs whose lease ended come first
     * (they are the oldest work), then runs nobody holds by wake time. SKIP LOCKED: workers never
     * wait on each other's claims; a row changed meanwhile is re-checked by PostgreSQL.
     *
     * A run another worker released is left to it for RELEASE_AFFINITY_MS after it became due, if
     * that worker is connected: it was told (the notification names it) and resumes it from memory.
     *
     * The workflow filter is written so that no index can serve it: claims must walk the wake-time
     * indexes in order. (To a planner without statistics, as on a new schema, the index on
     * workflow looks cheaper, and then every claim reads every run of the workflow.)
     */
    claimRuns: `
      WITH expired AS (
        SELECT id, true AS recovered FROM ${s}.runs
         WHERE owner IS NOT NULL AND lease_until < $1 AND wake_at <= $1 AND array_position($2::text[], workflow) IS NOT NULL
         ORDER BY lease_until LIMIT $3 FOR UPDATE SKIP LOCKED
      ), ready AS (
        SELECT id, false AS recovered FROM ${s}.runs
         WHERE owner IS NULL AND wake_at <= $1 AND array_position($2::text[], workflow) IS NOT NULL
           AND (last_owner IS NULL OR last_owner = $4 OR wake_at <= $1 - ${RELEASE_AFFINITY_MS}
                OR last_owner NOT IN (SELECT ${s}.live_workers()))
         ORDER BY wake_at LIMIT $3 FOR UPDATE SKIP LOCKED
      ), picked AS (
        -- CTE scans are lazy: ready runs are only read (and locked) as far as the limit needs.
        SELECT * FROM expired UNION ALL SELECT * FROM ready LIMIT $3
      )${claimPicked}`,

    /**
     * $1 now, $2 workflows, $3 run ids, $4 owner, $5 lease ms: the claim of runs a notification
     * named. Primary-key lookups only, so its one plan is kept (a prepared statement).
     */
    claimRunsById: `
      WITH picked AS (
        SELECT id, owner IS NOT NULL AS recovered FROM ${s}.runs
         WHERE id = ANY($3::text[]) AND wake_at <= $1 AND (owner IS NULL OR lease_until < $1)
           AND array_position($2::text[], workflow) IS NOT NULL
         ORDER BY id FOR UPDATE SKIP LOCKED
      )${claimPicked}`,

    /** $1 new lease end, $2 run ids, $3 owner. Rows are locked in id order, as everywhere. */
    renewLeases: `
      UPDATE ${s}.runs SET lease_until = $1
       WHERE id IN (SELECT id FROM ${s}.runs WHERE id = ANY($2::text[]) AND owner = $3 ORDER BY id FOR UPDATE)
      RETURNING id`,

    /** $1 now, $2 workflows, $3 limit, $4 owner, $5 lease ms: undelivered entries whose lease ended. */
    claimOutbox: `
      UPDATE ${s}.outbox SET owner = $4, lease_until = $1 + $5::bigint, attempts = attempts + 1
       WHERE id IN (SELECT id FROM ${s}.outbox
                     WHERE lease_until < $1 AND array_position($2::text[], workflow) IS NOT NULL
                     ORDER BY created_at LIMIT $3 FOR UPDATE SKIP LOCKED)
      RETURNING *`,
    ackOutbox: `DELETE FROM ${s}.outbox WHERE id = ANY($1::text[])`,
    ownedRunsWithWork: `SELECT id FROM ${s}.runs WHERE owner = $1 AND (pending_inbox > 0 OR cancel_requested)`,
    /** $1 the batch as JSON (see toCommitJson). */
    commit: `SELECT ${s}.commit_runs($1::text::jsonb) AS r`,
    readInbox: `SELECT * FROM ${s}.inbox WHERE run_id = $1 AND consumed_at IS NULL ORDER BY id`,
    getInboxEntry: `SELECT * FROM ${s}.inbox WHERE id = $1`,
    registerWorkflows: `
      INSERT INTO ${s}.workflows (name, seen_at) SELECT unnest($1::text[]), $2
      ON CONFLICT (name) DO UPDATE SET seen_at = excluded.seen_at`,
    listWorkflows: `SELECT name FROM ${s}.workflows ORDER BY name`,
    nextWakeAt: `
      SELECT least(
        (SELECT min(wake_at) FROM ${s}.runs WHERE owner IS NULL AND wake_at IS NOT NULL),
        (SELECT min(lease_until) FROM ${s}.runs WHERE owner IS NOT NULL AND wake_at IS NOT NULL)) AS t`,
    getRun: `SELECT * FROM ${s}.runs WHERE id = $1`,
    /** $1 run, $2 after seq, $3 type prefix or null, $4 limit or null. */
    readEvents: `
      SELECT seq, data, at FROM ${s}.events
       WHERE run_id = $1 AND seq > $2 AND ($3::text IS NULL OR starts_with(type, $3::text))
       ORDER BY seq LIMIT $4::integer`,
    /** $1 tokens: for each, its pending hook, else the most recent one that had it. */
    getHooks: `
      SELECT DISTINCT ON (token) * FROM ${s}.hooks WHERE token = ANY($1::text[])
       ORDER BY token, status = 'pending' DESC, created_at DESC, id DESC`,
    /** $1 the resumes as JSON: [{token, payload, key, keep, now}]. */
    resumeHooks: `SELECT ${s}.resume_hooks($1::text::jsonb) AS r`,
    /** $1 run, $2 now. */
    cancelRun: `SELECT ${s}.cancel_run($1, $2) AS r`,
    runsTable: `${s}.runs`,
    hooksTable: `${s}.hooks`,
  };
}

export type PostgresQueries = ReturnType<typeof postgresQueries>;
