import { ident, lit, wakeChannel } from "./sql.js";

/**
 * Migration 2: batched creates and resumes, and doorbells that name their runs.
 *
 * - `create_runs` / `resume_hooks` take many calls in one statement: the store groups the calls of
 *   many callers made while the previous batch was out (group commit), so a busy client costs one
 *   transaction per batch, not per call.
 * - Notifications carry what changed, space-separated: `r:<run>` a new run is ready, `p:<run>` a
 *   run was given a payload, `c:<run>` a run's cancel was requested or done. A worker then kicks
 *   the run it holds or claims the runs named, instead of scanning for work on every ring. An empty
 *   notification still means "look again at everything".
 */
export function batchedCalls(schema: string): string {
  const s = ident(schema);
  const channel = lit(wakeChannel(schema));
  return `
  -- Notifies the items in as few notifications as fit (a payload holds under 8,000 bytes).
  CREATE FUNCTION ${s}.wake(p_items text[]) RETURNS void LANGUAGE plpgsql AS $$
  DECLARE
    v_chunk text := '';
    v_item text;
  BEGIN
    FOREACH v_item IN ARRAY p_items LOOP
      IF length(v_chunk) + length(v_item) > 7000 THEN
        PERFORM pg_notify(${channel}, v_chunk);
        v_chunk := '';
      END IF;
      v_chunk := CASE WHEN v_chunk = '' THEN v_item ELSE v_chunk || ' ' || v_item END;
    END LOOP;
    IF v_chunk <> '' THEN
      PERFORM pg_notify(${channel}, v_chunk);
    END IF;
  END
  $$;

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

  -- One resume (see ResumeRequest / ResumeOutcome). The caller holds the token's lock and the row
  -- lock of the run whose live hook has the token, if any: the hook read here cannot close or
  -- change before the payload is recorded.
  CREATE FUNCTION ${s}.resume_one(p_token text, p_payload text, p_key text, p_keep boolean, p_now bigint)
    RETURNS json LANGUAGE plpgsql AS $$
  DECLARE
    v_seen record;
    v_hook_id text;
    v_run_id text;
    v_expires bigint;
    v_status text;
    v_inbox bigint;
  BEGIN
    IF p_key IS NOT NULL THEN
      SELECT id, hook_id, run_id INTO v_seen FROM ${s}.inbox WHERE token = p_token AND idempotency_key = p_key;
      IF FOUND THEN
        RETURN CASE WHEN v_seen.hook_id IS NOT NULL
          THEN json_build_object('status', 'accepted', 'runId', v_seen.run_id, 'hookId', v_seen.hook_id,
                                 'inboxId', v_seen.id, 'repeated', true)
          ELSE json_build_object('status', 'kept', 'inboxId', v_seen.id, 'repeated', true) END;
      END IF;
    END IF;
    SELECT hook_id, run_id, expires_at INTO v_hook_id, v_run_id, v_expires
      FROM ${s}.hook_tokens WHERE token = p_token;
    IF v_hook_id IS NOT NULL AND NOT coalesce(v_expires <= p_now, false) THEN
      INSERT INTO ${s}.inbox (token, hook_id, run_id, payload, idempotency_key, received_at)
        VALUES (p_token, v_hook_id, v_run_id, p_payload, p_key, p_now) RETURNING id INTO v_inbox;
      UPDATE ${s}.hooks SET payloads = payloads + 1 WHERE id = v_hook_id;
      UPDATE ${s}.runs SET pending_inbox = pending_inbox + 1,
          wake_at = CASE WHEN wake_at IS NULL OR wake_at > p_now THEN p_now ELSE wake_at END
       WHERE id = v_run_id;
      RETURN json_build_object('status', 'accepted', 'runId', v_run_id, 'hookId', v_hook_id,
                               'inboxId', v_inbox, 'repeated', false);
    END IF;
    IF p_keep THEN
      INSERT INTO ${s}.inbox (token, hook_id, run_id, payload, idempotency_key, received_at)
        VALUES (p_token, NULL, NULL, p_payload, p_key, p_now) RETURNING id INTO v_inbox;
      RETURN json_build_object('status', 'kept', 'inboxId', v_inbox, 'repeated', false);
    END IF;
    IF v_hook_id IS NOT NULL THEN
      RETURN json_build_object('status', 'expired', 'expiredAt', v_expires);
    END IF;
    SELECT status, expires_at INTO v_status, v_expires FROM ${s}.hooks WHERE token = p_token
     ORDER BY created_at DESC, id DESC LIMIT 1;
    IF v_status IS NULL THEN
      RETURN json_build_object('status', 'not_found');
    END IF;
    RETURN CASE WHEN v_status = 'expired'
      THEN json_build_object('status', 'expired', 'expiredAt', v_expires)
      ELSE json_build_object('status', 'disposed') END;
  END
  $$;

  -- Many resumes, in order, in one transaction: [{token, payload, key, keep, now}]. Returns the
  -- outcomes as a JSON array. Locks in the one global order (tokens, then runs), all before the
  -- first change: a batch never deadlocks with a commit, a cancel or another batch.
  CREATE FUNCTION ${s}.resume_hooks(batch jsonb) RETURNS json LANGUAGE plpgsql AS $$
  DECLARE
    v_token text;
    v_run_id text;
    v_runs text[] := '{}';
    v_item jsonb;
    v_out json;
    v_results json[] := '{}';
    v_woken text[] := '{}';
  BEGIN
    FOR v_token IN SELECT DISTINCT i->>'token' FROM jsonb_array_elements(batch) i ORDER BY 1 LOOP
      PERFORM ${s}.lock_token(v_token);
      -- Under the token's lock no other hook can take the token: this run is the one to lock.
      SELECT run_id INTO v_run_id FROM ${s}.hook_tokens WHERE token = v_token;
      IF v_run_id IS NOT NULL THEN
        v_runs := v_runs || v_run_id;
      END IF;
    END LOOP;
    FOR v_run_id IN SELECT DISTINCT r FROM unnest(v_runs) r ORDER BY 1 LOOP
      PERFORM 1 FROM ${s}.runs WHERE id = v_run_id FOR UPDATE;
    END LOOP;
    FOR v_item IN SELECT * FROM jsonb_array_elements(batch) LOOP
      v_out := ${s}.resume_one(v_item->>'token', v_item->>'payload', v_item->>'key',
                               (v_item->>'keep')::boolean, (v_item->>'now')::bigint);
      v_results := v_results || v_out;
      IF v_out->>'status' = 'accepted' AND NOT (v_out->>'repeated')::boolean THEN
        v_woken := v_woken || ('p:' || (v_out->>'runId'));
      END IF;
    END LOOP;
    IF cardinality(v_woken) > 0 THEN
      PERFORM ${s}.wake(ARRAY(SELECT DISTINCT unnest(v_woken)));
    END IF;
    RETURN array_to_json(v_results);
  END
  $$;
  DROP FUNCTION ${s}.resume_hook(text, text, text, boolean, bigint);

  -- cancel_run as in migration 1, now naming the run in its notification.
  CREATE OR REPLACE FUNCTION ${s}.cancel_run(p_run_id text, p_now bigint) RETURNS json LANGUAGE plpgsql AS $$
  DECLARE
    v_run ${s}.runs;
    v_seq integer;
  BEGIN
    SELECT * INTO v_run FROM ${s}.runs WHERE id = p_run_id FOR UPDATE;
    IF NOT FOUND THEN
      RETURN json_build_object('status', 'not_found');
    END IF;
    IF v_run.status IN ('succeeded', 'failed', 'cancelled', 'timed_out') THEN
      RETURN json_build_object('status', 'already_finished', 'run', row_to_json(v_run));
    END IF;
    PERFORM pg_notify(${channel}, 'c:' || p_run_id);
    IF v_run.owner IS NOT NULL AND v_run.lease_until >= p_now THEN
      UPDATE ${s}.runs SET cancel_requested = true, wake_at = p_now, updated_at = p_now
       WHERE id = p_run_id RETURNING * INTO v_run;
      RETURN json_build_object('status', 'requested', 'run', row_to_json(v_run));
    END IF;
    WITH gone AS (
      DELETE FROM ${s}.hook_tokens WHERE run_id = p_run_id RETURNING hook_id, token
    ), closed AS (
      UPDATE ${s}.hooks SET status = 'disposed', closed_at = p_now WHERE id = ANY(ARRAY(SELECT hook_id FROM gone))
    ), disposed AS (
      INSERT INTO ${s}.events (run_id, seq, type, data, at)
      SELECT p_run_id, v_run.seq + row_number() OVER (ORDER BY hook_id), 'hook.disposed',
             json_build_object('type', 'hook.disposed', 'hookId', hook_id, 'token', token, 'reason', 'run_ended')::text,
             p_now
        FROM gone RETURNING 1
    )
    SELECT v_run.seq + count(*) + 1 INTO v_seq FROM disposed;
    INSERT INTO ${s}.events (run_id, seq, type, data, at)
      VALUES (p_run_id, v_seq, 'run.cancelled', '{"type":"run.cancelled"}', p_now);
    INSERT INTO ${s}.outbox (id, run_id, workflow, handler, event, created_at, owner, lease_until)
      VALUES ('dlv_' || substr(p_run_id, 5) || '_cancel', p_run_id, v_run.workflow, 'expand:cancelled',
              '{"at":' || p_now || '}', p_now, NULL, 0);
    UPDATE ${s}.runs SET status = 'cancelled', seq = v_seq, cancel_requested = true, owner = NULL,
        lease_until = NULL, wake_at = NULL, updated_at = p_now, finished_at = p_now
     WHERE id = p_run_id RETURNING * INTO v_run;
    RETURN json_build_object('status', 'cancelled', 'run', row_to_json(v_run));
  END
  $$;
  `;
}
