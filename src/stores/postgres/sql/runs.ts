import { OUTBOX_ROW } from "../../../store/records.js";
import { disposeRunHooks } from "./shared.js";
import { ident, isTerminalSql, lit, wakeChannel } from "./text.js";

/** The state changes of a run as a whole: creating runs, cancelling one. */
export function runsSql(schema: string): string {
  const s = ident(schema);
  return `
  -- Creates runs with their run.created events: [{id, workflow, version, input, now, event}], ids
  -- distinct. An id that exists already is left alone. Returns the ids created, as a JSON array.
  CREATE FUNCTION ${s}.create_runs(batch jsonb) RETURNS json LANGUAGE plpgsql AS $$
  DECLARE
    v_ids text[];
  BEGIN
    WITH created AS (
      INSERT INTO ${s}.runs (id, workflow, version, status, input, seq, wake_at, created_at, updated_at)
      SELECT r->>'id', r->>'workflow', r->>'version', 'pending', r->>'input', 1,
             (r->>'now')::bigint, (r->>'now')::bigint, (r->>'now')::bigint
        FROM jsonb_array_elements(batch) r
      ON CONFLICT (id) DO NOTHING
      RETURNING id
    )
    SELECT coalesce(array_agg(id), '{}') INTO v_ids FROM created;
    INSERT INTO ${s}.events (run_id, seq, type, data, at)
    SELECT r->>'id', 1, 'run.created', r->>'event', (r->>'now')::bigint
      FROM jsonb_array_elements(batch) r WHERE r->>'id' = ANY(v_ids);
    IF cardinality(v_ids) > 0 THEN
      PERFORM ${s}.wake(ARRAY(SELECT 'r:' || unnest(v_ids)));
    END IF;
    RETURN array_to_json(v_ids);
  END
  $$;

  -- cancelRun (see CancelOutcome): at once when no live lease holds the run, else a request its
  -- worker acts on. Returns {status, run} with the run row as JSON.
  CREATE FUNCTION ${s}.cancel_run(p_run_id text, p_now bigint) RETURNS json LANGUAGE plpgsql AS $$
  DECLARE
    v_run ${s}.runs;
    v_seq integer;
  BEGIN
    SELECT * INTO v_run FROM ${s}.runs WHERE id = p_run_id FOR UPDATE;
    IF NOT FOUND THEN
      RETURN json_build_object('status', 'not_found');
    END IF;
    IF ${isTerminalSql("v_run.status")} THEN
      RETURN json_build_object('status', 'already_finished', 'run', row_to_json(v_run));
    END IF;
    PERFORM pg_notify(${lit(wakeChannel(schema))}, 'c:' || p_run_id);
    IF v_run.owner IS NOT NULL AND v_run.lease_until >= p_now THEN
      UPDATE ${s}.runs SET cancel_requested = true, wake_at = p_now, updated_at = p_now
       WHERE id = p_run_id RETURNING * INTO v_run;
      RETURN json_build_object('status', 'requested', 'run', row_to_json(v_run));
    END IF;
    WITH ${disposeRunHooks(s, "p_run_id", "p_now")}, disposed AS (
      INSERT INTO ${s}.events (run_id, seq, type, data, at)
      SELECT p_run_id, v_run.seq + row_number() OVER (ORDER BY hook_id), 'hook.disposed',
             json_build_object('type', 'hook.disposed', 'hookId', hook_id, 'token', token, 'reason', 'run_ended')::text,
             p_now
        FROM gone RETURNING 1
    )
    SELECT v_run.seq + count(*) + 1 INTO v_seq FROM disposed;
    INSERT INTO ${s}.events (run_id, seq, type, data, at)
      VALUES (p_run_id, v_seq, 'run.cancelled', '{"type":"run.cancelled"}', p_now);
    -- Lifecycle hooks of a cancel made without the workflow's code: a worker that has it expands
    -- this entry (due at once: lease_until 0). The id's TypeScript twin is cancelDeliveryId
    -- (src/stores/outbox.ts, src/ids.ts), in the format of every delivery id: dlv_<run ULID>_….
    INSERT INTO ${s}.outbox (id, run_id, workflow, handler, event, created_at, owner, lease_until)
      VALUES ('dlv_' || substr(p_run_id, 5) || '_cancel', p_run_id, v_run.workflow, ${lit(OUTBOX_ROW.expandCancelled)},
              '{"at":' || p_now || '}', p_now, NULL, 0);
    UPDATE ${s}.runs SET status = 'cancelled', seq = v_seq, cancel_requested = true, owner = NULL,
        lease_until = NULL, wake_at = NULL, updated_at = p_now, finished_at = p_now
     WHERE id = p_run_id RETURNING * INTO v_run;
    RETURN json_build_object('status', 'cancelled', 'run', row_to_json(v_run));
  END
  $$;
  `;
}
