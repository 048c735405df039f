import { ident, OUTBOX_LEASE_MS } from "./sql.js";

/**
 * Migration 3: resume affinity. A run remembers the worker that released it last (`last_owner`),
 * and a payload's notification names that worker (`p:<run>@<worker>`). That worker claims the run
 * at once and resumes it warm, from memory; the others leave it alone for a moment (see the claim
 * queries) and take it only if it is still waiting then — its worker is gone or busy.
 */
export function resumeAffinity(schema: string): string {
  const s = ident(schema);
  return `
  ALTER TABLE ${s}.runs ADD COLUMN last_owner text COLLATE "C";

  CREATE OR REPLACE FUNCTION ${s}.commit_one(c jsonb) RETURNS json LANGUAGE plpgsql AS $$
  DECLARE
    v_run_id text := c->>'runId';
    v_now bigint := (c->>'now')::bigint;
    v_expected integer := (c->>'expectedSeq')::integer;
    v_run record;
    v_hook jsonb;
    v_closed text;
    v_taken jsonb := '[]';
    v_seq integer;
    v_pending integer;
    v_count integer;
    v_terminal boolean := coalesce(c->>'status' IN ('succeeded', 'failed', 'cancelled', 'timed_out'), false);
    v_release boolean;
    v_wake bigint;
  BEGIN
    SELECT seq, owner, lease_until, pending_inbox, cancel_requested, workflow INTO v_run
      FROM ${s}.runs WHERE id = v_run_id;
    IF NOT FOUND THEN
      RETURN json_build_object('ok', false, 'reason', 'conflict');
    END IF;
    IF v_run.owner IS DISTINCT FROM c->>'owner' OR v_run.lease_until < v_now THEN
      RETURN json_build_object('ok', false, 'reason', 'lease_lost');
    END IF;
    IF v_run.seq <> v_expected THEN
      RETURN json_build_object('ok', false, 'reason', 'conflict');
    END IF;

    FOR v_hook IN SELECT * FROM jsonb_array_elements(c->'registerHooks') LOOP
      -- A live hook past its timeout gives its token up; its own run records the expiry later.
      DELETE FROM ${s}.hook_tokens WHERE token = v_hook->>'token' AND expires_at <= v_now RETURNING hook_id INTO v_closed;
      IF v_closed IS NOT NULL THEN
        UPDATE ${s}.hooks SET status = 'expired', closed_at = v_now WHERE id = v_closed;
      END IF;
      IF EXISTS (SELECT 1 FROM ${s}.hook_tokens WHERE token = v_hook->>'token') THEN
        v_taken := v_taken || to_jsonb(v_hook->>'hookId');
      END IF;
    END LOOP;
    IF jsonb_array_length(v_taken) > 0 THEN
      RETURN json_build_object('ok', false, 'reason', 'token_taken', 'hookIds', v_taken);
    END IF;

    INSERT INTO ${s}.events (run_id, seq, type, data, at)
      SELECT v_run_id, v_expected + e.ord, e.ev->>0, e.ev->>1, v_now
        FROM jsonb_array_elements(c->'events') WITH ORDINALITY AS e(ev, ord);
    v_seq := v_expected + jsonb_array_length(c->'events');

    v_pending := v_run.pending_inbox;
    FOR v_hook IN SELECT * FROM jsonb_array_elements(c->'registerHooks') LOOP
      INSERT INTO ${s}.hooks (id, run_id, token, name, kind, status, schema, metadata, created_at, expires_at)
      VALUES (v_hook->>'hookId', v_run_id, v_hook->>'token', v_hook->>'name', v_hook->>'kind', 'pending',
              v_hook->>'schema', v_hook->>'metadata', v_now, (v_hook->>'expiresAt')::bigint);
      INSERT INTO ${s}.hook_tokens (hook_id, token, run_id, expires_at)
      VALUES (v_hook->>'hookId', v_hook->>'token', v_run_id, (v_hook->>'expiresAt')::bigint);
      IF (v_hook->>'adoptEarly')::boolean THEN
        UPDATE ${s}.inbox SET hook_id = v_hook->>'hookId', run_id = v_run_id
         WHERE token = v_hook->>'token' AND hook_id IS NULL;
        GET DIAGNOSTICS v_count = ROW_COUNT;
        IF v_count > 0 THEN
          v_pending := v_pending + v_count;
          UPDATE ${s}.hooks SET payloads = payloads + v_count WHERE id = v_hook->>'hookId';
        END IF;
      END IF;
    END LOOP;

    FOR v_hook IN SELECT * FROM jsonb_array_elements(c->'closeHooks') LOOP
      DELETE FROM ${s}.hook_tokens WHERE hook_id = v_hook->>0;
      IF FOUND THEN
        UPDATE ${s}.hooks SET status = v_hook->>1, closed_at = v_now WHERE id = v_hook->>0;
      END IF;
    END LOOP;
    IF (c->>'closeAllHooks')::boolean THEN
      WITH gone AS (DELETE FROM ${s}.hook_tokens WHERE run_id = v_run_id RETURNING hook_id)
      UPDATE ${s}.hooks SET status = 'disposed', closed_at = v_now WHERE id = ANY(ARRAY(SELECT hook_id FROM gone));
    END IF;
    IF jsonb_array_length(c->'outbox') > 0 THEN
      -- Leased to the committing worker, which delivers at once; others retry after the lease.
      INSERT INTO ${s}.outbox (id, run_id, workflow, handler, event, created_at, owner, lease_until, attempts)
      SELECT o->>'id', v_run_id, v_run.workflow, o->>'handler', o->>'event', v_now, c->>'owner',
             v_now + coalesce((c->>'outboxLeaseMs')::bigint, ${OUTBOX_LEASE_MS}), 1
        FROM jsonb_array_elements(c->'outbox') o;
    END IF;
    IF jsonb_array_length(c->'consumeInbox') > 0 THEN
      -- Arrays, not joins against the JSON: the planner then always looks rows up by key.
      UPDATE ${s}.inbox SET consumed_at = v_now
       WHERE run_id = v_run_id AND id = ANY(ARRAY(SELECT jsonb_array_elements_text(c->'consumeInbox')::bigint))
         AND consumed_at IS NULL;
      GET DIAGNOSTICS v_count = ROW_COUNT;
      v_pending := v_pending - v_count;
    END IF;

    v_release := v_terminal OR (c->>'release')::boolean;
    IF v_release AND NOT v_terminal THEN
      v_wake := CASE WHEN v_pending > 0 OR v_run.cancel_requested THEN v_now ELSE (c->>'wakeAt')::bigint END;
    END IF;
    UPDATE ${s}.runs SET
        seq = v_seq, pending_inbox = v_pending, updated_at = v_now,
        status = coalesce(c->>'status', status),
        output = coalesce(c->>'output', output),
        error = coalesce(c->>'error', error),
        finished_at = CASE WHEN v_terminal THEN v_now ELSE finished_at END,
        owner = CASE WHEN v_release THEN NULL ELSE owner END,
        last_owner = CASE WHEN v_release THEN owner ELSE last_owner END,
        lease_until = CASE WHEN v_release THEN NULL ELSE lease_until END,
        wake_at = CASE WHEN v_release THEN v_wake ELSE wake_at END
     WHERE id = v_run_id;
    RETURN json_build_object('ok', true, 'seq', v_seq, 'pendingInbox', v_pending,
                             'cancelRequested', v_run.cancel_requested);
  END
  $$;

  CREATE OR REPLACE FUNCTION ${s}.resume_one(p_token text, p_payload text, p_key text, p_keep boolean, p_now bigint)
    RETURNS json LANGUAGE plpgsql AS $$
  DECLARE
    v_seen record;
    v_hook_id text;
    v_run_id text;
    v_expires bigint;
    v_status text;
    v_inbox bigint;
    v_last_owner text;
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
       WHERE id = v_run_id RETURNING last_owner INTO v_last_owner;
      RETURN json_build_object('status', 'accepted', 'runId', v_run_id, 'hookId', v_hook_id,
                               'inboxId', v_inbox, 'repeated', false, 'lastOwner', v_last_owner);
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

  CREATE OR REPLACE FUNCTION ${s}.resume_hooks(batch jsonb) RETURNS json LANGUAGE plpgsql AS $$
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
        v_woken := v_woken || ('p:' || (v_out->>'runId') || coalesce('@' || (v_out->>'lastOwner'), ''));
      END IF;
    END LOOP;
    IF cardinality(v_woken) > 0 THEN
      PERFORM ${s}.wake(ARRAY(SELECT DISTINCT unnest(v_woken)));
    END IF;
    RETURN array_to_json(v_results);
  END
  $$;
  `;
}
