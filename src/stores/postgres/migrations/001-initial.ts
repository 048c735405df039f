import { ident, lit, OUTBOX_LEASE_MS, wakeChannel } from "./sql.js";

/** Migration 1: runs, their event logs, hooks, the payload inbox, workflow names, the outbox. */
export function initialSchema(schema: string): string {
  const s = ident(schema);
  return `
  CREATE TABLE ${s}.runs (
    id text COLLATE "C" PRIMARY KEY,
    workflow text COLLATE "C" NOT NULL,
    version text,
    status text NOT NULL,
    input text,
    output text,
    error text,
    seq integer NOT NULL,
    owner text COLLATE "C",
    lease_until bigint,
    wake_at bigint,
    pending_inbox integer NOT NULL DEFAULT 0,
    cancel_requested boolean NOT NULL DEFAULT false,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    finished_at bigint
  );
  -- Claims read two small partial indexes: runs nobody holds by wake time, held runs by lease end.
  CREATE INDEX runs_ready ON ${s}.runs (wake_at) WHERE owner IS NULL AND wake_at IS NOT NULL;
  CREATE INDEX runs_lease ON ${s}.runs (lease_until) WHERE owner IS NOT NULL;
  CREATE INDEX runs_owner ON ${s}.runs (owner) WHERE owner IS NOT NULL;
  CREATE INDEX runs_created ON ${s}.runs (created_at DESC, id DESC);
  CREATE INDEX runs_status ON ${s}.runs (status, created_at DESC, id DESC);
  CREATE INDEX runs_workflow ON ${s}.runs (workflow, created_at DESC, id DESC);

  CREATE TABLE ${s}.events (
    run_id text COLLATE "C" NOT NULL,
    seq integer NOT NULL,
    type text COLLATE "C" NOT NULL,
    data text NOT NULL,
    at bigint NOT NULL,
    PRIMARY KEY (run_id, seq)
  );

  CREATE TABLE ${s}.hooks (
    id text COLLATE "C" PRIMARY KEY,
    run_id text COLLATE "C" NOT NULL,
    token text COLLATE "C" NOT NULL,
    name text,
    kind text NOT NULL,
    status text NOT NULL,
    schema text,
    metadata text,
    created_at bigint NOT NULL,
    expires_at bigint,
    closed_at bigint,
    payloads integer NOT NULL DEFAULT 0
  );
  CREATE INDEX hooks_token ON ${s}.hooks (token, created_at DESC);
  CREATE INDEX hooks_status ON ${s}.hooks (status, created_at DESC, id DESC);
  CREATE INDEX hooks_created ON ${s}.hooks (created_at DESC, id DESC);
  CREATE INDEX hooks_run ON ${s}.hooks (run_id, created_at DESC, id DESC);

  -- One row per pending hook: the live token index. The hot paths (register, resume, close) look
  -- hooks up here by token, hook or run, each through the only index that can serve it, so the
  -- planner cannot pick a wrong one while a new schema has no statistics yet. The unique token is
  -- what makes a custom token unique among live hooks.
  CREATE TABLE ${s}.hook_tokens (
    hook_id text COLLATE "C" PRIMARY KEY,
    token text COLLATE "C" NOT NULL UNIQUE,
    run_id text COLLATE "C" NOT NULL,
    expires_at bigint
  );
  CREATE INDEX hook_tokens_run ON ${s}.hook_tokens (run_id);

  CREATE TABLE ${s}.inbox (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token text COLLATE "C" NOT NULL,
    hook_id text COLLATE "C",
    run_id text COLLATE "C",
    payload text,
    idempotency_key text,
    received_at bigint NOT NULL,
    consumed_at bigint
  );
  CREATE UNIQUE INDEX inbox_idempotency ON ${s}.inbox (token, idempotency_key) WHERE idempotency_key IS NOT NULL;
  CREATE INDEX inbox_run ON ${s}.inbox (run_id, id) WHERE consumed_at IS NULL;
  CREATE INDEX inbox_early ON ${s}.inbox (token, id) WHERE hook_id IS NULL;

  CREATE TABLE ${s}.workflows (name text COLLATE "C" PRIMARY KEY, seen_at bigint NOT NULL);

  -- Lifecycle-hook deliveries, written in the transaction of the transition that causes them.
  -- A row is leased (to the committing worker at first) until it is acknowledged and deleted.
  CREATE TABLE ${s}.outbox (
    id text COLLATE "C" PRIMARY KEY,
    run_id text COLLATE "C" NOT NULL,
    workflow text COLLATE "C" NOT NULL,
    handler text NOT NULL,
    event text NOT NULL,
    created_at bigint NOT NULL,
    owner text COLLATE "C",
    lease_until bigint NOT NULL,
    attempts integer NOT NULL DEFAULT 0
  );
  CREATE INDEX outbox_due ON ${s}.outbox (lease_until);

  -- Every change to which hook holds a token (registration, early payloads, resume) takes this
  -- transaction lock first, so READ COMMITTED cannot let a payload slip between a check and a write.
  CREATE FUNCTION ${s}.lock_token(p_token text) RETURNS void LANGUAGE sql AS $$
    SELECT pg_advisory_xact_lock(hashtext(${lit(`${schema}.hook_token`)}), hashtext(p_token))
  $$;

  -- One commit (see RunCommit in src/store/records.ts). The caller holds the run's row lock and the
  -- locks of the tokens it registers. Returns the CommitResult as JSON.
  CREATE FUNCTION ${s}.commit_one(c jsonb) RETURNS json LANGUAGE plpgsql AS $$
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
        lease_until = CASE WHEN v_release THEN NULL ELSE lease_until END,
        wake_at = CASE WHEN v_release THEN v_wake ELSE wake_at END
     WHERE id = v_run_id;
    RETURN json_build_object('ok', true, 'seq', v_seq, 'pendingInbox', v_pending,
                             'cancelRequested', v_run.cancel_requested);
  END
  $$;

  -- A batch of commits, each checked on its own, applied in order, in one transaction.
  CREATE FUNCTION ${s}.commit_runs(batch jsonb) RETURNS json LANGUAGE plpgsql AS $$
  DECLARE
    v_commit jsonb;
    v_token text;
    v_run_id text;
    v_results json[] := '{}';
  BEGIN
    -- One global lock order (tokens, then runs by id) for every function here: no deadlocks
    -- between concurrent batches, resumes, cancels and lease renewals.
    FOR v_token IN SELECT DISTINCT h->>'token' FROM jsonb_array_elements(batch) c,
                     jsonb_array_elements(c->'registerHooks') h ORDER BY 1 LOOP
      PERFORM ${s}.lock_token(v_token);
    END LOOP;
    -- One primary-key lookup per run: a set query here kept a sequential-scan plan made while the
    -- table was empty.
    FOR v_run_id IN SELECT DISTINCT c->>'runId' FROM jsonb_array_elements(batch) c ORDER BY 1 LOOP
      PERFORM 1 FROM ${s}.runs WHERE id = v_run_id FOR UPDATE;
    END LOOP;
    FOR v_commit IN SELECT * FROM jsonb_array_elements(batch) LOOP
      v_results := v_results || ${s}.commit_one(v_commit);
    END LOOP;
    RETURN array_to_json(v_results);
  END
  $$;

  -- resumeHook (see ResumeRequest / ResumeOutcome). Returns the outcome as JSON.
  CREATE FUNCTION ${s}.resume_hook(p_token text, p_payload text, p_key text, p_keep boolean, p_now bigint)
    RETURNS json LANGUAGE plpgsql AS $$
  DECLARE
    v_seen record;
    v_hook_id text;
    v_run_id text;
    v_expires bigint;
    v_status text;
    v_inbox bigint;
  BEGIN
    PERFORM ${s}.lock_token(p_token);
    IF p_key IS NOT NULL THEN
      SELECT id, hook_id, run_id INTO v_seen FROM ${s}.inbox WHERE token = p_token AND idempotency_key = p_key;
      IF FOUND THEN
        RETURN CASE WHEN v_seen.hook_id IS NOT NULL
          THEN json_build_object('status', 'accepted', 'runId', v_seen.run_id, 'hookId', v_seen.hook_id,
                                 'inboxId', v_seen.id, 'repeated', true)
          ELSE json_build_object('status', 'kept', 'inboxId', v_seen.id, 'repeated', true) END;
      END IF;
    END IF;

    SELECT run_id INTO v_run_id FROM ${s}.hook_tokens WHERE token = p_token;
    IF v_run_id IS NOT NULL THEN
      -- Lock the hook's run, then read the hook again: the run's commits and cancels close its
      -- hooks under this lock, so the hook cannot close between this read and the insert.
      PERFORM 1 FROM ${s}.runs WHERE id = v_run_id FOR UPDATE;
      SELECT hook_id, run_id, expires_at INTO v_hook_id, v_run_id, v_expires
        FROM ${s}.hook_tokens WHERE token = p_token;
    END IF;
    IF v_hook_id IS NOT NULL AND NOT coalesce(v_expires <= p_now, false) THEN
      INSERT INTO ${s}.inbox (token, hook_id, run_id, payload, idempotency_key, received_at)
        VALUES (p_token, v_hook_id, v_run_id, p_payload, p_key, p_now) RETURNING id INTO v_inbox;
      UPDATE ${s}.hooks SET payloads = payloads + 1 WHERE id = v_hook_id;
      UPDATE ${s}.runs SET pending_inbox = pending_inbox + 1,
          wake_at = CASE WHEN wake_at IS NULL OR wake_at > p_now THEN p_now ELSE wake_at END
       WHERE id = v_run_id;
      PERFORM pg_notify(${lit(wakeChannel(schema))}, '');
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

  -- cancelRun (see CancelOutcome). Returns {status, run} with the run row as JSON.
  CREATE FUNCTION ${s}.cancel_run(p_run_id text, p_now bigint) RETURNS json LANGUAGE plpgsql AS $$
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
    PERFORM pg_notify(${lit(wakeChannel(schema))}, '');
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
    -- Lifecycle hooks of a cancel made without the workflow's code: a worker that has it expands
    -- this entry (due at once: lease_until 0).
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
