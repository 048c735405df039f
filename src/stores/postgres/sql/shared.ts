import { ident, lit, wakeChannel } from "./text.js";

/** Functions every state change uses: the token lock, the doorbell, which workers are alive. */
export function sharedSql(schema: string): string {
  const s = ident(schema);
  const channel = lit(wakeChannel(schema));
  return `
  -- Every change to which hook holds a token (registration, early payloads, resume) takes this
  -- transaction lock first, so READ COMMITTED cannot let a payload slip between a check and a write.
  CREATE FUNCTION ${s}.lock_token(p_token text) RETURNS void LANGUAGE sql AS $$
    SELECT pg_advisory_xact_lock(hashtext(${lit(`${schema}.hook_token`)}), hashtext(p_token))
  $$;

  -- Notifies the items (r:<run> created, p:<run>[@<worker>] a payload, c:<run> a cancel) in as few
  -- notifications as fit (a payload holds under 8,000 bytes). Sent only if the transaction commits.
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

  -- The workers whose process is connected now: each one's LISTEN connection is named
  -- 'latch-worker <id>' (see WakeListener). A killed worker's connection is gone at once, so its
  -- runs are not left waiting for it. (application_name is visible to every role.)
  CREATE FUNCTION ${s}.live_workers() RETURNS SETOF text LANGUAGE sql STABLE AS $$
    SELECT substr(application_name, 14) FROM pg_stat_get_activity(NULL)
     WHERE application_name LIKE 'latch-worker %'
  $$;

  `;
}

/**
 * Disposes every live hook of a run that ended (its tokens are free again), as two WITH items of
 * a statement: `gone` (hook_id, token) lists the hooks. Used by a commit that closes all its
 * run's hooks and by a cancel. (SQL text rather than a function: a call costs a lone commit ~3 %.)
 */
export function disposeRunHooks(s: string, runId: string, now: string): string {
  return `gone AS (
      DELETE FROM ${s}.hook_tokens WHERE run_id = ${runId} RETURNING hook_id, token
    ), closed AS (
      UPDATE ${s}.hooks SET status = 'disposed', closed_at = ${now} WHERE id = ANY(ARRAY(SELECT hook_id FROM gone))
    )`;
}

/**
 * A batched entry point with two paths: `set` (set-wide, planned with each batch's values) for a
 * batch of two or more, `each` (item by item) for a lone call and for any batch `set` hands back.
 * The plan setting is on `set` alone: on the entry point it would also replan every statement of
 * a lone call, and a plan kept from when the tables were empty would make `set` scan them.
 */
export function twoPaths(s: string, name: string, each: string, set: string): string {
  return `
  ALTER FUNCTION ${s}.${set}(jsonb) SET plan_cache_mode = force_custom_plan;

  CREATE FUNCTION ${s}.${name}(batch jsonb) RETURNS json LANGUAGE plpgsql AS $$
  BEGIN
    IF jsonb_array_length(batch) < 2 THEN
      RETURN ${s}.${each}(batch);
    END IF;
    RETURN ${s}.${set}(batch);
  END
  $$;`;
}
