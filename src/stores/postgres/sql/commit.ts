import { OUTBOX_LEASE_MS } from "../../outbox.js";
import { disposeRunHooks, twoPaths } from "./shared.js";
import { ident, isTerminalSql } from "./text.js";

/**
 * What a commit means, said once and used by both paths of commit_runs. Each is SQL text over
 * `c`, an expression of one commit as JSON (see toCommitJson): TypeScript expands it into each
 * function, so the set-wide statement pays nothing for it. (As SQL functions they cost the common
 * batch about 10 %: commit_set is planned for each batch, and every inlined function is parsed
 * again each time.)
 */
const commitSays = {
  /** Why the commit is refused before anything is written, or NULL: the run is gone or its log
   * moved on ('conflict'), or the committing worker's lease ended ('lease_lost'). `run` has the
   * run's seq (NULL when there is no such run), owner and lease_until. */
  refusal: (c: string, run: string) => `CASE WHEN ${run}.seq IS NULL THEN 'conflict'
                  WHEN ${run}.owner IS DISTINCT FROM ${c}->>'owner' OR ${run}.lease_until < (${c}->>'now')::bigint THEN 'lease_lost'
                  WHEN ${run}.seq <> (${c}->>'expectedSeq')::integer THEN 'conflict' END`,
  /** Whether the commit ends the run. */
  ends: (c: string) => isTerminalSql(`${c}->>'status'`),
  /** Whether the commit gives the run up: it ends it, or releases it (suspends). */
  releases: (c: string) => `(${isTerminalSql(`${c}->>'status'`)} OR (${c}->>'release')::boolean)`,
  /** The events it appends, numbered after its expected seq: a SELECT for INSERT INTO events. */
  events: (
    c: string,
    from = "",
  ) => `SELECT ${c}->>'runId', (${c}->>'expectedSeq')::integer + e.ord, e.ev->>0, e.ev->>1, (${c}->>'now')::bigint
        FROM ${from}jsonb_array_elements(${c}->'events') WITH ORDINALITY AS e(ev, ord)`,
  /** A hook it registers (`h`), as the values of HOOK_COLUMNS. */
  hook: (h: string, runId: string, now: string) =>
    `${h}->>'hookId', ${runId}, ${h}->>'token', ${h}->>'name', ${h}->>'kind', 'pending', ${h}->>'schema', ${h}->>'metadata', ${now}, (${h}->>'expiresAt')::bigint`,
  /** That hook's live token, as the values of TOKEN_COLUMNS. */
  token: (h: string, runId: string) =>
    `${h}->>'hookId', ${h}->>'token', ${runId}, (${h}->>'expiresAt')::bigint`,
  /** The lifecycle deliveries it writes, leased to the committing worker (which delivers at once;
   * others retry after the lease): a SELECT for INSERT INTO outbox. */
  outbox: (
    c: string,
    workflow: string,
    from = "",
  ) => `SELECT o->>'id', ${c}->>'runId', ${workflow}, o->>'handler', o->>'event', (${c}->>'now')::bigint, ${c}->>'owner',
               (${c}->>'now')::bigint + coalesce((${c}->>'outboxLeaseMs')::bigint, ${OUTBOX_LEASE_MS}), 1
          FROM ${from}jsonb_array_elements(${c}->'outbox') o`,
  /** The SET list of the run's UPDATE after it is applied; `r` is the run's row, `ends` and
   * `releases` the values of ends(c) and releases(c). */
  runAfter: (
    c: string,
    v: { seq: string; pending: string; cancelRequested: string; ends: string; releases: string },
  ) => `
        seq = ${v.seq}, pending_inbox = ${v.pending}, updated_at = (${c}->>'now')::bigint,
        status = coalesce(${c}->>'status', r.status),
        output = coalesce(${c}->>'output', r.output),
        error = coalesce(${c}->>'error', r.error),
        finished_at = CASE WHEN ${v.ends} THEN (${c}->>'now')::bigint ELSE r.finished_at END,
        last_owner = CASE WHEN ${v.releases} THEN r.owner ELSE r.last_owner END,
        owner = CASE WHEN ${v.releases} THEN NULL ELSE r.owner END,
        lease_until = CASE WHEN ${v.releases} THEN NULL ELSE r.lease_until END,
        -- None once it ended; released: at once if payloads wait or a cancel was asked, else at
        -- its timer (or never); held on: as it was.
        wake_at = CASE WHEN ${v.ends} THEN NULL
                       WHEN ${v.releases} THEN
                         CASE WHEN ${v.pending} > 0 OR ${v.cancelRequested} THEN (${c}->>'now')::bigint
                              ELSE (${c}->>'wakeAt')::bigint END
                       ELSE r.wake_at END`,
  /** Its CommitResult, checked and, unless refused, applied. */
  answer: (
    refusal: string,
    seq: string,
    pending: string,
    cancelRequested: string,
  ) => `CASE WHEN ${refusal} IS NULL
        THEN json_build_object('ok', true, 'seq', ${seq}, 'pendingInbox', ${pending}, 'cancelRequested', ${cancelRequested})
        ELSE json_build_object('ok', false, 'reason', ${refusal}) END`,
};
const HOOK_COLUMNS = "(id, run_id, token, name, kind, status, schema, metadata, created_at, expires_at)";
const TOKEN_COLUMNS = "(hook_id, token, run_id, expires_at)";
const EVENT_COLUMNS = "(run_id, seq, type, data, at)";
const OUTBOX_COLUMNS = "(id, run_id, workflow, handler, event, created_at, owner, lease_until, attempts)";

/**
 * commit_runs (see RunCommit in src/store/records.ts): a batch of commits, each checked on its
 * own, applied in order, in one transaction. Two paths with the same answers: the common batch
 * set-wide (commit_set: a few statements for the whole batch), any other one commit at a time
 * (commit_each → commit_one), in the order of its hook changes. Both say what a commit means
 * through commitSays.
 */
export function commitSql(schema: string): string {
  const s = ident(schema);
  const say = commitSays;
  return `
  -- One commit, in the order of its hook changes. The caller holds the run's row lock and the
  -- locks of the tokens it registers.
  CREATE FUNCTION ${s}.commit_one(c jsonb) RETURNS json LANGUAGE plpgsql AS $$
  DECLARE
    v_run_id text := c->>'runId';
    v_now bigint := (c->>'now')::bigint;
    v_run record;
    v_refusal text;
    v_hook jsonb;
    v_change record;
    v_token text;
    v_holder text;
    v_held jsonb := '{}';
    v_closed text;
    v_taken jsonb := '[]';
    v_seq integer := (c->>'expectedSeq')::integer + jsonb_array_length(c->'events');
    v_pending integer;
    v_count integer;
    v_ends boolean := ${say.ends("c")};
    v_releases boolean := ${say.releases("c")};
  BEGIN
    SELECT seq, owner, lease_until, pending_inbox, cancel_requested, workflow INTO v_run
      FROM ${s}.runs WHERE id = v_run_id;
    v_refusal := ${say.refusal("c", "v_run")};
    IF v_refusal IS NOT NULL THEN
      RETURN ${say.answer("v_refusal", "NULL", "NULL", "NULL")};
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

    INSERT INTO ${s}.events ${EVENT_COLUMNS} ${say.events("c")};

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
      INSERT INTO ${s}.hooks ${HOOK_COLUMNS} VALUES (${say.hook("v_hook", "v_run_id", "v_now")});
      INSERT INTO ${s}.hook_tokens ${TOKEN_COLUMNS} VALUES (${say.token("v_hook", "v_run_id")});
      IF (v_hook->>'adoptEarly')::boolean THEN
        -- Payloads kept for this token before any hook had it are this hook's now.
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
      WITH ${disposeRunHooks(s, "v_run_id", "v_now")} SELECT count(*) INTO v_count FROM gone;
    END IF;
    IF jsonb_array_length(c->'outbox') > 0 THEN
      INSERT INTO ${s}.outbox ${OUTBOX_COLUMNS} ${say.outbox("c", "v_run.workflow")};
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

    UPDATE ${s}.runs r SET ${say.runAfter("c", {
      seq: "v_seq",
      pending: "v_pending",
      cancelRequested: "v_run.cancel_requested",
      ends: "v_ends",
      releases: "v_releases",
    })}
     WHERE r.id = v_run_id;
    RETURN ${say.answer("NULL", "v_seq", "v_pending", "v_run.cancel_requested")};
  END
  $$;

  -- Any batch, one commit at a time, in order. Locks first, in the one global order of every
  -- function here (tokens sorted, then runs by id), so concurrent batches, resumes, cancels and
  -- lease renewals never deadlock.
  CREATE FUNCTION ${s}.commit_each(batch jsonb) RETURNS json LANGUAGE plpgsql AS $$
  DECLARE
    v_commit jsonb;
    v_token text;
    v_run_id text;
    v_results json[] := '{}';
  BEGIN
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

  -- The common batch, set-wide: two or more commits of distinct runs; new tokens free (no live or
  -- expired hook holds them, no payload kept for them) and distinct; no payload rejected; no
  -- commit that both registers and closes hooks, or closes some hooks and then all. Then no two
  -- parts of the statement below touch the same row, and the order of hook changes cannot
  -- matter. Any other batch goes to commit_each.
  CREATE FUNCTION ${s}.commit_set(batch jsonb) RETURNS json LANGUAGE plpgsql AS $$
  DECLARE
    v_n integer := jsonb_array_length(batch);
    v_tokens text[];
    v_registered integer;
    v_out json;
  BEGIN
    IF (SELECT count(DISTINCT c->>'runId') FROM jsonb_array_elements(batch) c) <> v_n
       OR EXISTS (SELECT 1 FROM jsonb_array_elements(batch) c
                   WHERE jsonb_array_length(c->'rejectInbox') > 0
                      OR (jsonb_array_length(c->'registerHooks') > 0 AND
                          (jsonb_array_length(c->'closeHooks') > 0 OR (c->>'closeAllHooks')::boolean))
                      OR (jsonb_array_length(c->'closeHooks') > 0 AND (c->>'closeAllHooks')::boolean)) THEN
      RETURN ${s}.commit_each(batch);
    END IF;
    SELECT coalesce(array_agg(DISTINCT h->>'token' ORDER BY h->>'token'), '{}'), count(*)
      INTO v_tokens, v_registered
      FROM jsonb_array_elements(batch) c, jsonb_array_elements(c->'registerHooks') h;
    IF cardinality(v_tokens) <> v_registered THEN
      RETURN ${s}.commit_each(batch);
    END IF;
    -- The one lock order: tokens (sorted), then runs (sorted).
    PERFORM ${s}.lock_token(t) FROM unnest(v_tokens) t;
    PERFORM 1 FROM ${s}.runs WHERE id IN (SELECT c->>'runId' FROM jsonb_array_elements(batch) c)
      ORDER BY id FOR UPDATE;
    IF cardinality(v_tokens) > 0 AND (
         EXISTS (SELECT 1 FROM ${s}.hook_tokens WHERE token = ANY(v_tokens))
         OR EXISTS (SELECT 1 FROM ${s}.inbox WHERE token = ANY(v_tokens) AND hook_id IS NULL)) THEN
      RETURN ${s}.commit_each(batch);
    END IF;

    -- Every write below sees the rows as they were before this statement: the conditions above
    -- make sure no two of its parts touch the same row.
    WITH c AS (
      SELECT x.ord, x.c, x.c->>'runId' AS run_id, (x.c->>'now')::bigint AS now
        FROM jsonb_array_elements(batch) WITH ORDINALITY AS x(c, ord)
    ), checked AS (
      SELECT c.*, r.pending_inbox, r.cancel_requested, r.workflow,
             ${say.refusal("c.c", "r")} AS refused
        FROM c LEFT JOIN ${s}.runs r ON r.id = c.run_id
    ), ok AS (
      SELECT * FROM checked WHERE refused IS NULL
    ), ev AS (
      INSERT INTO ${s}.events ${EVENT_COLUMNS} ${say.events("ok.c", "ok, ")}
    ), registered AS (
      SELECT ok.run_id, ok.now, h FROM ok, jsonb_array_elements(ok.c->'registerHooks') h
    ), hk AS (
      INSERT INTO ${s}.hooks ${HOOK_COLUMNS} SELECT ${say.hook("h", "run_id", "now")} FROM registered
    ), tk AS (
      INSERT INTO ${s}.hook_tokens ${TOKEN_COLUMNS} SELECT ${say.token("h", "run_id")} FROM registered
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
      INSERT INTO ${s}.outbox ${OUTBOX_COLUMNS} ${say.outbox("ok.c", "ok.workflow", "ok, ")}
    ), consumed AS (
      UPDATE ${s}.inbox i SET consumed_at = l.now
        FROM (SELECT DISTINCT ok.run_id, ok.now, ci::bigint AS id
                FROM ok, jsonb_array_elements_text(ok.c->'consumeInbox') ci) l
       WHERE i.id = l.id AND i.run_id = l.run_id AND i.consumed_at IS NULL
      RETURNING i.run_id
    ), fin AS (
      SELECT ok.*, (ok.c->>'expectedSeq')::integer + jsonb_array_length(ok.c->'events') AS new_seq,
             ok.pending_inbox - (SELECT count(*) FROM consumed WHERE consumed.run_id = ok.run_id)::integer AS pending,
             ${say.ends("ok.c")} AS ends, ${say.releases("ok.c")} AS releases
        FROM ok
    ), updated AS (
      UPDATE ${s}.runs r SET ${say.runAfter("fin.c", {
        seq: "fin.new_seq",
        pending: "fin.pending",
        cancelRequested: "fin.cancel_requested",
        ends: "fin.ends",
        releases: "fin.releases",
      })}
        FROM fin WHERE r.id = fin.run_id
    )
    SELECT json_agg(${say.answer("checked.refused", "fin.new_seq", "fin.pending", "fin.cancel_requested")}
                    ORDER BY checked.ord)
      INTO v_out
      FROM checked LEFT JOIN fin ON fin.ord = checked.ord;
    RETURN v_out;
  END
  $$;
  ${twoPaths(s, "commit_runs", "commit_each", "commit_set")}
  `;
}
