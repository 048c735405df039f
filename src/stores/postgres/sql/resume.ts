import { twoPaths } from "./shared.js";
import { ident } from "./text.js";

/**
 * What a recorded payload means, said once for both paths of resume_hooks (SQL text, expanded by
 * TypeScript into each function: see commitSays in commit.ts for why not SQL functions).
 */
const resumeSays = {
  /** The outcome of a payload recorded for a live hook (or answered again for a repeated key).
   * lastOwner, the worker that released the run last, is for resume_each's notification only. */
  accepted: (runId: string, hookId: string, inboxId: string, repeated: boolean, lastOwner = "NULL::text") =>
    `json_build_object('status', 'accepted', 'runId', ${runId}, 'hookId', ${hookId}, 'inboxId', ${inboxId},
                       'repeated', ${repeated}, 'lastOwner', ${lastOwner})`,
  /** Its notification: p:<run>, with @<worker> when the worker that released the run last is
   * alive (in `live`, an array): it holds the run in memory and is left to resume it. */
  note: (runId: string, lastOwner: string, live: string) =>
    `'p:' || ${runId} || CASE WHEN ${lastOwner} = ANY(${live}) THEN '@' || ${lastOwner} ELSE '' END`,
};

/**
 * resume_hooks (see ResumeRequest / ResumeOutcome): many resumes in one statement, in order, in
 * one transaction: [{token, payload, key, keep, now, check, sender}] → the outcomes as a JSON
 * array. The common batch — distinct tokens, each held by a live hook, no idempotency key used
 * before, nothing to validate: every item is accepted — is recorded set-wide (resume_set); any
 * other goes through resume_each, one payload at a time (resume_one decides every outcome). Both
 * record a payload the same way (an inbox row, the hook's count, the run woken: least(wake_at,
 * now)) and answer and notify through resumeSays.
 */
export function resumeSql(schema: string): string {
  const s = ident(schema);
  const say = resumeSays;
  return `
  -- Whether a payload for this live hook must wait for the caller to validate it: the caller asked
  -- (p_check: {schemaNames, validatedHookId}), has not validated against this hook, and the hook
  -- has a stored schema or a name whose schema the caller holds in code.
  CREATE FUNCTION ${s}.needs_check(p_check jsonb, p_hook_id text) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_typeof(p_check), 'null') <> 'null'
       AND p_hook_id IS DISTINCT FROM p_check->>'validatedHookId'
       AND EXISTS (SELECT 1 FROM ${s}.hooks h WHERE h.id = p_hook_id AND (h.schema IS NOT NULL OR EXISTS (
             SELECT 1 FROM jsonb_array_elements_text(p_check->'schemaNames') n WHERE n = h.name)))
  $$;

  -- One resume. The caller holds the token's lock and the row lock of the run whose live hook has
  -- the token, if any: the hook read here cannot close or change before the payload is recorded.
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
          THEN ${say.accepted("v_seen.run_id", "v_seen.hook_id", "v_seen.id", true)}
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
      UPDATE ${s}.runs SET pending_inbox = pending_inbox + 1, wake_at = least(wake_at, p_now)
       WHERE id = v_run_id RETURNING last_owner INTO v_last_owner;
      RETURN ${say.accepted("v_run_id", "v_hook_id", "v_inbox", false, "v_last_owner")};
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

  -- Any batch, one resume at a time, in order. Locks in the one global order (tokens, then runs),
  -- all before the first change: a batch never deadlocks with a commit, a cancel or another.
  CREATE FUNCTION ${s}.resume_each(batch jsonb) RETURNS json LANGUAGE plpgsql AS $$
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
        v_woken := v_woken || (${say.note("(v_out->>'runId')", "(v_out->>'lastOwner')", "v_live")});
      END IF;
    END LOOP;
    IF cardinality(v_woken) > 0 THEN
      PERFORM ${s}.wake(ARRAY(SELECT DISTINCT unnest(v_woken)));
    END IF;
    RETURN array_to_json(v_results);
  END
  $$;

  -- The common batch, set-wide (see above); any other goes to resume_each.
  CREATE FUNCTION ${s}.resume_set(batch jsonb) RETURNS json LANGUAGE plpgsql AS $$
  DECLARE
    v_n integer := jsonb_array_length(batch);
    v_tokens text[];
    v_live integer;
    v_out json;
    v_woken text[];
  BEGIN
    SELECT array_agg(DISTINCT i->>'token' ORDER BY i->>'token') INTO v_tokens FROM jsonb_array_elements(batch) i;
    IF cardinality(v_tokens) <> v_n THEN
      RETURN ${s}.resume_each(batch);
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
      RETURN ${s}.resume_each(batch);
    END IF;
    -- A key used before makes its item a repeat or a conflict: those are answered one by one. New
    -- keys are recorded here (under the token locks no other call can record the same key meanwhile).
    IF EXISTS (SELECT 1 FROM jsonb_array_elements(batch) i JOIN ${s}.inbox m
                 ON m.token = i->>'token' AND m.idempotency_key = i->>'key'
                WHERE i->>'key' IS NOT NULL) THEN
      RETURN ${s}.resume_each(batch);
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
      UPDATE ${s}.runs r SET pending_inbox = r.pending_inbox + w.n, wake_at = least(r.wake_at, w.first)
        FROM (SELECT run_id, count(*) AS n, min(now) AS first FROM live GROUP BY run_id) w
       WHERE r.id = w.run_id
      RETURNING r.id, r.last_owner
    ), alive AS (
      SELECT ARRAY(SELECT ${s}.live_workers()) AS workers
    )
    SELECT json_agg(${say.accepted("live.run_id", "live.hook_id", "added.id", false)} ORDER BY live.ord),
           array_agg(DISTINCT ${say.note("woken.id", "woken.last_owner", "alive.workers")})
      INTO v_out, v_woken
      FROM live JOIN added ON added.token = live.token JOIN woken ON woken.id = live.run_id, alive;
    PERFORM ${s}.wake(v_woken);
    RETURN v_out;
  END
  $$;
  ${twoPaths(s, "resume_hooks", "resume_each", "resume_set")}
  `;
}
