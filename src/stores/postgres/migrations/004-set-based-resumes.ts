import { ident } from "./sql.js";

/**
 * Migration 4: a batch of resumes in a few set-wide statements. The common batch — distinct
 * tokens, each held by a live hook, no idempotency keys — is recorded with one insert into the
 * inbox, one update of the hooks' counts and one of their runs, instead of about nine statements per
 * payload. Any other batch goes through the one-by-one function of migration 3, renamed
 * `resume_hooks_each`, which gives the same answers.
 */
export function setBasedResumes(schema: string): string {
  const s = ident(schema);
  return `
  ALTER FUNCTION ${s}.resume_hooks(jsonb) RENAME TO resume_hooks_each;

  CREATE FUNCTION ${s}.resume_hooks(batch jsonb) RETURNS json LANGUAGE plpgsql AS $$
  DECLARE
    v_n integer := jsonb_array_length(batch);
    v_tokens text[];
    v_live integer;
    v_out json;
    v_woken text[];
  BEGIN
    IF v_n < 2 OR EXISTS (SELECT 1 FROM jsonb_array_elements(batch) i WHERE i->>'key' IS NOT NULL) THEN
      RETURN ${s}.resume_hooks_each(batch);
    END IF;
    SELECT array_agg(DISTINCT i->>'token' ORDER BY i->>'token') INTO v_tokens FROM jsonb_array_elements(batch) i;
    IF cardinality(v_tokens) <> v_n THEN
      RETURN ${s}.resume_hooks_each(batch);
    END IF;
    -- The one lock order: tokens (sorted), then the runs of their live hooks (sorted).
    PERFORM ${s}.lock_token(t) FROM unnest(v_tokens) t;
    PERFORM 1 FROM ${s}.runs WHERE id IN (SELECT run_id FROM ${s}.hook_tokens WHERE token = ANY(v_tokens))
      ORDER BY id FOR UPDATE;
    SELECT count(*) INTO v_live
      FROM jsonb_array_elements(batch) i JOIN ${s}.hook_tokens t ON t.token = i->>'token'
     WHERE t.expires_at IS NULL OR t.expires_at > (i->>'now')::bigint;
    IF v_live <> v_n THEN
      RETURN ${s}.resume_hooks_each(batch);
    END IF;

    WITH live AS (
      SELECT x.ord, x.i->>'token' AS token, x.i->>'payload' AS payload, (x.i->>'now')::bigint AS now,
             t.hook_id, t.run_id
        FROM jsonb_array_elements(batch) WITH ORDINALITY AS x(i, ord)
        JOIN ${s}.hook_tokens t ON t.token = x.i->>'token'
    ), added AS (
      -- Inbox ids follow the batch's order: payloads are delivered in the order they were accepted.
      INSERT INTO ${s}.inbox (token, hook_id, run_id, payload, idempotency_key, received_at)
      SELECT token, hook_id, run_id, payload, NULL, now FROM live ORDER BY ord
      RETURNING id, token
    ), counted AS (
      UPDATE ${s}.hooks h SET payloads = payloads + 1 FROM live WHERE h.id = live.hook_id
    ), woken AS (
      UPDATE ${s}.runs r SET pending_inbox = r.pending_inbox + w.n,
          wake_at = CASE WHEN r.wake_at IS NULL OR r.wake_at > w.first THEN w.first ELSE r.wake_at END
        FROM (SELECT run_id, count(*) AS n, min(now) AS first FROM live GROUP BY run_id) w
       WHERE r.id = w.run_id
      RETURNING r.id, r.last_owner
    )
    SELECT json_agg(json_build_object('status', 'accepted', 'runId', live.run_id, 'hookId', live.hook_id,
                                      'inboxId', added.id, 'repeated', false) ORDER BY live.ord),
           array_agg(DISTINCT 'p:' || woken.id || coalesce('@' || woken.last_owner, ''))
      INTO v_out, v_woken
      FROM live JOIN added ON added.token = live.token JOIN woken ON woken.id = live.run_id;
    PERFORM ${s}.wake(v_woken);
    RETURN v_out;
  END
  $$;
  -- Planned with each batch's values: a plan kept from when the tables were empty would scan them.
  ALTER FUNCTION ${s}.resume_hooks(jsonb) SET plan_cache_mode = force_custom_plan;
  `;
}
