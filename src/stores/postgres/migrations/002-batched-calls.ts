import { ident, lit, OUTBOX_LEASE_MS, wakeChannel } from "./sql.js";

/**
 * Migration 2: batched calls, doorbells that name their runs, resume affinity.
 *
 * - `create_runs` / `resume_hooks` take many calls in one statement: the store groups the calls of
 *   many callers made while the previous batch was out (group commit), so a busy client costs one
 *   transaction per batch, not per call. The common batch of resumes — distinct tokens, each held
 *   by a live hook, no idempotency key used before, nothing to validate — is recorded set-wide (one
 *   insert, two updates); any other goes through `resume_hooks_each`, one payload at a time, same
 *   answers.
 * - An idempotency key names one payload: the same key again with another payload (compared as
 *   stored, JSON text) is answered `idempotency_conflict` and not recorded.
 * - Notifications carry what changed, space-separated: `r:<run>` a new run is ready,
 *   `p:<run>@<worker>` a run was given a payload (with the worker that released it last, which
 *   holds it in memory, when that worker is connected), `c:<run>` a run's cancel was requested or done. A worker then kicks the
 *   run it holds or claims the runs named, instead of scanning for work on every ring. An empty
 *   notification still means "look again at everything".
 * - `runs.last_owner`: the worker that released the run last (see RELEASE_AFFINITY_MS).
 * - A resume may carry a `check` (see ResumeRequest): a payload for a hook with a schema the caller
 *   has not validated against is answered `validate`, with the hook, and not recorded.
 */
export function batchedCalls(schema: string): string {
  const s = ident(schema);
  const channel = lit(wakeChannel(schema));
  return `
  ALTER TABLE ${s}.runs ADD COLUMN last_owner text COLLATE "C";
  -- Who sent each payload ({by, channel}), and the issues of one the hook's own schema turned down.
  ALTER TABLE ${s}.inbox ADD COLUMN sender jsonb, ADD COLUMN issues jsonb;

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

  -- commit_one as in migration 1, now noting who released the run (last_owner) and applying hook
  -- registrations and closes in the order of their events.
  CREATE OR REPLACE FUNCTION ${s}.commit_one(c jsonb) RETURNS json LANGUAGE plpgsql AS $$
  DECLARE
    v_run_id text := c->>'runId';
    v_now bigint := (c->>'now')::bigint;
    v_expected integer := (c->>'expectedSeq')::integer;
    v_run record;
    v_hook jsonb;
    v_change record;
    v_token text;
    v_holder text;
    v_held jsonb := '{}';
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

    -- Registrations and closes take effect in the order of their events ('at', see hook-changes.ts):
    -- a token this run gives up earlier in the commit is free for a later registration (a loop that
    -- disposes its hook and takes the token again); one given up later is not. A token registered
    -- earlier in the commit is held by that hook. Generated tokens are unique by construction.
    FOR v_hook IN SELECT h FROM jsonb_array_elements(c->'registerHooks') h ORDER BY (h->>'at')::integer LOOP
      v_token := v_hook->>'token';
      CONTINUE WHEN v_token = v_run_id || ':' || (v_hook->>'hookId');
      IF v_held ? v_token THEN
        v_holder := v_held->>v_token;
      ELSE
        -- A live hook past its timeout gives its token up; its own run records the expiry later.
        DELETE FROM ${s}.hook_tokens WHERE token = v_token AND expires_at <= v_now RETURNING hook_id INTO v_closed;
        IF v_closed IS NOT NULL THEN
          UPDATE ${s}.hooks SET status = 'expired', closed_at = v_now WHERE id = v_closed;
        END IF;
        SELECT hook_id INTO v_holder FROM ${s}.hook_tokens WHERE token = v_token;
      END IF;
      IF v_holder IS NOT NULL AND NOT EXISTS (
           SELECT 1 FROM jsonb_array_elements(c->'closeHooks') x
            WHERE x->>0 = v_holder AND (x->>2)::integer < (v_hook->>'at')::integer) THEN
        v_taken := v_taken || to_jsonb(v_hook->>'hookId');
      ELSE
        v_held := v_held || jsonb_build_object(v_token, v_hook->>'hookId');
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
    FOR v_change IN
      SELECT 'register' AS kind, h AS item, (h->>'at')::integer AS at FROM jsonb_array_elements(c->'registerHooks') h
      UNION ALL
      SELECT 'close', h, (h->>2)::integer FROM jsonb_array_elements(c->'closeHooks') h
      ORDER BY at
    LOOP
      v_hook := v_change.item;
      IF v_change.kind = 'close' THEN
        DELETE FROM ${s}.hook_tokens WHERE hook_id = v_hook->>0;
        IF FOUND THEN
          UPDATE ${s}.hooks SET status = v_hook->>1, closed_at = v_now WHERE id = v_hook->>0;
        END IF;
        CONTINUE;
      END IF;
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
    IF jsonb_array_length(c->'rejectInbox') > 0 THEN
      -- Turned down by the hook's own schema: consumed (never delivered again), its issues kept.
      UPDATE ${s}.inbox i SET consumed_at = v_now, issues = r->'issues'
        FROM jsonb_array_elements(c->'rejectInbox') r
       WHERE i.run_id = v_run_id AND i.id = (r->>'id')::bigint AND i.consumed_at IS NULL;
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

  -- commit_runs: the common batch set-wide (commit_runs_set), any other through migration 1's
  -- function, renamed commit_runs_each, with the same answers. Common: two or more commits of distinct runs; new
  -- tokens free (no live or expired hook holds them, no payload kept for them) and distinct; no
  -- commit that both registers and closes hooks, or closes some hooks and then all.
  ALTER FUNCTION ${s}.commit_runs(jsonb) RENAME TO commit_runs_each;

  CREATE FUNCTION ${s}.commit_runs_set(batch jsonb) RETURNS json LANGUAGE plpgsql AS $$
  DECLARE
    v_n integer := jsonb_array_length(batch);
    v_tokens text[];
    v_registered integer;
    v_out json;
  BEGIN
    IF v_n < 2 OR (SELECT count(DISTINCT c->>'runId') FROM jsonb_array_elements(batch) c) <> v_n
       OR EXISTS (SELECT 1 FROM jsonb_array_elements(batch) c
                   WHERE jsonb_array_length(c->'rejectInbox') > 0
                      OR (jsonb_array_length(c->'registerHooks') > 0 AND
                          (jsonb_array_length(c->'closeHooks') > 0 OR (c->>'closeAllHooks')::boolean))
                      OR (jsonb_array_length(c->'closeHooks') > 0 AND (c->>'closeAllHooks')::boolean)) THEN
      RETURN ${s}.commit_runs_each(batch);
    END IF;
    SELECT coalesce(array_agg(DISTINCT h->>'token' ORDER BY h->>'token'), '{}'), count(*)
      INTO v_tokens, v_registered
      FROM jsonb_array_elements(batch) c, jsonb_array_elements(c->'registerHooks') h;
    IF cardinality(v_tokens) <> v_registered THEN
      RETURN ${s}.commit_runs_each(batch);
    END IF;
    -- The one lock order: tokens (sorted), then runs (sorted).
    PERFORM ${s}.lock_token(t) FROM unnest(v_tokens) t;
    PERFORM 1 FROM ${s}.runs WHERE id IN (SELECT c->>'runId' FROM jsonb_array_elements(batch) c)
      ORDER BY id FOR UPDATE;
    IF cardinality(v_tokens) > 0 AND (
         EXISTS (SELECT 1 FROM ${s}.hook_tokens WHERE token = ANY(v_tokens))
         OR EXISTS (SELECT 1 FROM ${s}.inbox WHERE token = ANY(v_tokens) AND hook_id IS NULL)) THEN
      RETURN ${s}.commit_runs_each(batch);
    END IF;

    -- Every write below sees the rows as they were before this statement: the conditions above
    -- make sure no two of its parts touch the same row.
    WITH c AS (
      SELECT x.ord, x.c, x.c->>'runId' AS run_id, (x.c->>'now')::bigint AS now,
             (x.c->>'expectedSeq')::integer AS expected
        FROM jsonb_array_elements(batch) WITH ORDINALITY AS x(c, ord)
    ), checked AS (
      SELECT c.*, r.pending_inbox, r.cancel_requested, r.workflow,
             CASE WHEN r.id IS NULL THEN 'conflict'
                  WHEN r.owner IS DISTINCT FROM c.c->>'owner' OR r.lease_until < c.now THEN 'lease_lost'
                  WHEN r.seq <> c.expected THEN 'conflict' END AS refused
        FROM c LEFT JOIN ${s}.runs r ON r.id = c.run_id
    ), ok AS (
      SELECT * FROM checked WHERE refused IS NULL
    ), ev AS (
      INSERT INTO ${s}.events (run_id, seq, type, data, at)
      SELECT ok.run_id, ok.expected + e.ord, e.ev->>0, e.ev->>1, ok.now
        FROM ok, jsonb_array_elements(ok.c->'events') WITH ORDINALITY AS e(ev, ord)
    ), registered AS (
      SELECT ok.run_id, ok.now, h FROM ok, jsonb_array_elements(ok.c->'registerHooks') h
    ), hk AS (
      INSERT INTO ${s}.hooks (id, run_id, token, name, kind, status, schema, metadata, created_at, expires_at)
      SELECT h->>'hookId', run_id, h->>'token', h->>'name', h->>'kind', 'pending', h->>'schema',
             h->>'metadata', now, (h->>'expiresAt')::bigint
        FROM registered
    ), tk AS (
      INSERT INTO ${s}.hook_tokens (hook_id, token, run_id, expires_at)
      SELECT h->>'hookId', h->>'token', run_id, (h->>'expiresAt')::bigint FROM registered
    ), closed AS (
      DELETE FROM ${s}.hook_tokens t
       USING (SELECT h->>0 AS hook_id, h->>1 AS status, ok.now
                FROM ok, jsonb_array_elements(ok.c->'closeHooks') h) l
       WHERE t.hook_id = l.hook_id
      RETURNING t.hook_id, l.status, l.now
    ), closed_hooks AS (
      UPDATE ${s}.hooks h SET status = closed.status, closed_at = closed.now FROM closed WHERE h.id = closed.hook_id
    ), gone AS (
      DELETE FROM ${s}.hook_tokens t USING ok
       WHERE (ok.c->>'closeAllHooks')::boolean AND t.run_id = ok.run_id
      RETURNING t.hook_id, ok.now
    ), gone_hooks AS (
      UPDATE ${s}.hooks h SET status = 'disposed', closed_at = gone.now FROM gone WHERE h.id = gone.hook_id
    ), ob AS (
      -- Leased to the committing worker, which delivers at once; others retry after the lease.
      INSERT INTO ${s}.outbox (id, run_id, workflow, handler, event, created_at, owner, lease_until, attempts)
      SELECT o->>'id', ok.run_id, ok.workflow, o->>'handler', o->>'event', ok.now, ok.c->>'owner',
             ok.now + coalesce((ok.c->>'outboxLeaseMs')::bigint, ${OUTBOX_LEASE_MS}), 1
        FROM ok, jsonb_array_elements(ok.c->'outbox') o
    ), consumed AS (
      UPDATE ${s}.inbox i SET consumed_at = l.now
        FROM (SELECT DISTINCT ok.run_id, ok.now, ci::bigint AS id
                FROM ok, jsonb_array_elements_text(ok.c->'consumeInbox') ci) l
       WHERE i.id = l.id AND i.run_id = l.run_id AND i.consumed_at IS NULL
      RETURNING i.run_id
    ), fin AS (
      SELECT ok.*, ok.expected + jsonb_array_length(ok.c->'events') AS new_seq,
             ok.pending_inbox - (SELECT count(*) FROM consumed WHERE consumed.run_id = ok.run_id) AS pending,
             coalesce(ok.c->>'status' IN ('succeeded', 'failed', 'cancelled', 'timed_out'), false) AS terminal,
             coalesce(ok.c->>'status' IN ('succeeded', 'failed', 'cancelled', 'timed_out'), false)
               OR (ok.c->>'release')::boolean AS release
        FROM ok
    ), updated AS (
      UPDATE ${s}.runs r SET
          seq = fin.new_seq, pending_inbox = fin.pending, updated_at = fin.now,
          status = coalesce(fin.c->>'status', r.status),
          output = coalesce(fin.c->>'output', r.output),
          error = coalesce(fin.c->>'error', r.error),
          finished_at = CASE WHEN fin.terminal THEN fin.now ELSE r.finished_at END,
          last_owner = CASE WHEN fin.release THEN r.owner ELSE r.last_owner END,
          owner = CASE WHEN fin.release THEN NULL ELSE r.owner END,
          lease_until = CASE WHEN fin.release THEN NULL ELSE r.lease_until END,
          wake_at = CASE WHEN fin.terminal THEN NULL
                         WHEN fin.release THEN CASE WHEN fin.pending > 0 OR fin.cancel_requested THEN fin.now
                                                    ELSE (fin.c->>'wakeAt')::bigint END
                         ELSE r.wake_at END
        FROM fin WHERE r.id = fin.run_id
    )
    SELECT json_agg(CASE WHEN checked.refused IS NULL
                      THEN json_build_object('ok', true, 'seq', fin.new_seq, 'pendingInbox', fin.pending,
                                             'cancelRequested', fin.cancel_requested)
                      ELSE json_build_object('ok', false, 'reason', checked.refused) END
                    ORDER BY checked.ord)
      INTO v_out
      FROM checked LEFT JOIN fin ON fin.ord = checked.ord;
    RETURN v_out;
  END
  $$;
  -- Planned with each batch's values: a plan kept from when the tables were empty would scan them.
  -- (Only here: set on commit_runs, it would also replan every statement of a lone commit.)
  ALTER FUNCTION ${s}.commit_runs_set(jsonb) SET plan_cache_mode = force_custom_plan;

  CREATE FUNCTION ${s}.commit_runs(batch jsonb) RETURNS json LANGUAGE plpgsql AS $$
  BEGIN
    IF jsonb_array_length(batch) < 2 THEN
      RETURN ${s}.commit_runs_each(batch);
    END IF;
    RETURN ${s}.commit_runs_set(batch);
  END
  $$;

  -- The workers whose process is connected now: each one's LISTEN connection is named
  -- 'latch-worker <id>' (see WakeListener). A killed worker's connection is gone at once, so its
  -- runs are not left waiting for it. (application_name is visible to every role.)
  CREATE FUNCTION ${s}.live_workers() RETURNS SETOF text LANGUAGE sql STABLE AS $$
    SELECT substr(application_name, 14) FROM pg_stat_get_activity(NULL)
     WHERE application_name LIKE 'latch-worker %'
  $$;

  -- Whether a payload for this live hook must wait for the caller to validate it: the caller asked
  -- (p_check: {schemaNames, validatedHookId}), has not validated against this hook, and the hook
  -- has a stored schema or a name whose schema the caller holds in code.
  CREATE FUNCTION ${s}.needs_check(p_check jsonb, p_hook_id text) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_typeof(p_check), 'null') <> 'null'
       AND p_hook_id IS DISTINCT FROM p_check->>'validatedHookId'
       AND EXISTS (SELECT 1 FROM ${s}.hooks h WHERE h.id = p_hook_id AND (h.schema IS NOT NULL OR EXISTS (
             SELECT 1 FROM jsonb_array_elements_text(p_check->'schemaNames') n WHERE n = h.name)))
  $$;

  -- One resume (see ResumeRequest / ResumeOutcome). The caller holds the token's lock and the row
  -- lock of the run whose live hook has the token, if any: the hook read here cannot close or
  -- change before the payload is recorded.
  CREATE FUNCTION ${s}.resume_one(p_token text, p_payload text, p_key text, p_keep boolean, p_now bigint,
                                 p_check jsonb, p_sender jsonb)
    RETURNS json LANGUAGE plpgsql AS $$
  DECLARE
    v_seen record;
    v_hook_id text;
    v_run_id text;
    v_expires bigint;
    v_status text;
    v_inbox bigint;
    v_last_owner text;
    v_hook ${s}.hooks;
  BEGIN
    IF p_key IS NOT NULL THEN
      SELECT id, hook_id, run_id, payload INTO v_seen FROM ${s}.inbox WHERE token = p_token AND idempotency_key = p_key;
      IF FOUND THEN
        -- A key names one payload: another one under it would be dropped silently if taken as a repeat.
        IF v_seen.payload IS DISTINCT FROM p_payload THEN
          RETURN json_build_object('status', 'idempotency_conflict');
        END IF;
        RETURN CASE WHEN v_seen.hook_id IS NOT NULL
          THEN json_build_object('status', 'accepted', 'runId', v_seen.run_id, 'hookId', v_seen.hook_id,
                                 'inboxId', v_seen.id, 'repeated', true)
          ELSE json_build_object('status', 'kept', 'inboxId', v_seen.id, 'repeated', true) END;
      END IF;
    END IF;
    SELECT hook_id, run_id, expires_at INTO v_hook_id, v_run_id, v_expires
      FROM ${s}.hook_tokens WHERE token = p_token;
    IF v_hook_id IS NOT NULL AND NOT coalesce(v_expires <= p_now, false) THEN
      IF ${s}.needs_check(p_check, v_hook_id) THEN
        SELECT * INTO v_hook FROM ${s}.hooks WHERE id = v_hook_id;
        RETURN json_build_object('status', 'validate', 'hook', row_to_json(v_hook));
      END IF;
      INSERT INTO ${s}.inbox (token, hook_id, run_id, payload, idempotency_key, received_at, sender)
        VALUES (p_token, v_hook_id, v_run_id, p_payload, p_key, p_now, p_sender) RETURNING id INTO v_inbox;
      UPDATE ${s}.hooks SET payloads = payloads + 1 WHERE id = v_hook_id;
      UPDATE ${s}.runs SET pending_inbox = pending_inbox + 1,
          wake_at = CASE WHEN wake_at IS NULL OR wake_at > p_now THEN p_now ELSE wake_at END
       WHERE id = v_run_id RETURNING last_owner INTO v_last_owner;
      RETURN json_build_object('status', 'accepted', 'runId', v_run_id, 'hookId', v_hook_id,
                               'inboxId', v_inbox, 'repeated', false, 'lastOwner', v_last_owner);
    END IF;
    IF p_keep THEN
      INSERT INTO ${s}.inbox (token, hook_id, run_id, payload, idempotency_key, received_at, sender)
        VALUES (p_token, NULL, NULL, p_payload, p_key, p_now, p_sender) RETURNING id INTO v_inbox;
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

  -- Many resumes, one at a time, in order, in one transaction: [{token, payload, key, keep, now,
  -- check}]. Returns the outcomes as a JSON array. Locks in the one global order (tokens, then
  -- runs), all before the first change: a batch never deadlocks with a commit, a cancel or another.
  CREATE FUNCTION ${s}.resume_hooks_each(batch jsonb) RETURNS json LANGUAGE plpgsql AS $$
  DECLARE
    v_token text;
    v_run_id text;
    v_runs text[] := '{}';
    v_item jsonb;
    v_out json;
    v_results json[] := '{}';
    v_woken text[] := '{}';
    v_live text[] := ARRAY(SELECT ${s}.live_workers());
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
                               (v_item->>'keep')::boolean, (v_item->>'now')::bigint, v_item->'check',
                               NULLIF(v_item->'sender', 'null'::jsonb));
      v_results := v_results || v_out;
      IF v_out->>'status' = 'accepted' AND NOT (v_out->>'repeated')::boolean THEN
        v_woken := v_woken || ('p:' || (v_out->>'runId') ||
          CASE WHEN v_out->>'lastOwner' = ANY(v_live) THEN '@' || (v_out->>'lastOwner') ELSE '' END);
      END IF;
    END LOOP;
    IF cardinality(v_woken) > 0 THEN
      PERFORM ${s}.wake(ARRAY(SELECT DISTINCT unnest(v_woken)));
    END IF;
    RETURN array_to_json(v_results);
  END
  $$;

  -- resume_hooks: the common batch set-wide (resume_hooks_set, see above); any other through
  -- resume_hooks_each.
  CREATE FUNCTION ${s}.resume_hooks_set(batch jsonb) RETURNS json LANGUAGE plpgsql AS $$
  DECLARE
    v_n integer := jsonb_array_length(batch);
    v_tokens text[];
    v_live integer;
    v_out json;
    v_woken text[];
  BEGIN
    IF v_n < 2 THEN
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
     WHERE (t.expires_at IS NULL OR t.expires_at > (i->>'now')::bigint)
       AND NOT ${s}.needs_check(i->'check', t.hook_id);
    IF v_live <> v_n THEN
      RETURN ${s}.resume_hooks_each(batch);
    END IF;
    -- A key used before makes its item a repeat or a conflict: those are answered one by one. New
    -- keys are recorded here (under the token locks no other call can record the same key meanwhile).
    IF EXISTS (SELECT 1 FROM jsonb_array_elements(batch) i JOIN ${s}.inbox m
                 ON m.token = i->>'token' AND m.idempotency_key = i->>'key'
                WHERE i->>'key' IS NOT NULL) THEN
      RETURN ${s}.resume_hooks_each(batch);
    END IF;

    WITH live AS (
      SELECT x.ord, x.i->>'token' AS token, x.i->>'payload' AS payload, x.i->>'key' AS key,
             (x.i->>'now')::bigint AS now, NULLIF(x.i->'sender', 'null'::jsonb) AS sender, t.hook_id, t.run_id
        FROM jsonb_array_elements(batch) WITH ORDINALITY AS x(i, ord)
        JOIN ${s}.hook_tokens t ON t.token = x.i->>'token'
    ), added AS (
      -- Inbox ids follow the batch's order: payloads are delivered in the order they were accepted.
      INSERT INTO ${s}.inbox (token, hook_id, run_id, payload, idempotency_key, received_at, sender)
      SELECT token, hook_id, run_id, payload, key, now, sender FROM live ORDER BY ord
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
           array_agg(DISTINCT 'p:' || woken.id ||
                     CASE WHEN woken.last_owner IN (SELECT ${s}.live_workers()) THEN '@' || woken.last_owner ELSE '' END)
      INTO v_out, v_woken
      FROM live JOIN added ON added.token = live.token JOIN woken ON woken.id = live.run_id;
    PERFORM ${s}.wake(v_woken);
    RETURN v_out;
  END
  $$;
  -- Planned with each batch's values (only here, as for commit_runs_set).
  ALTER FUNCTION ${s}.resume_hooks_set(jsonb) SET plan_cache_mode = force_custom_plan;

  CREATE FUNCTION ${s}.resume_hooks(batch jsonb) RETURNS json LANGUAGE plpgsql AS $$
  BEGIN
    IF jsonb_array_length(batch) < 2 THEN
      RETURN ${s}.resume_hooks_each(batch);
    END IF;
    RETURN ${s}.resume_hooks_set(batch);
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
