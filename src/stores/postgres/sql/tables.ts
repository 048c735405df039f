import { ident } from "./text.js";

/** The tables: runs, their event logs, hooks and live tokens, the payload inbox, workflow names, the outbox. */
export function tablesSql(schema: string): string {
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
    finished_at bigint,
    -- The worker that released the run last: it resumes the run warm (see RELEASE_AFFINITY_MS).
    last_owner text COLLATE "C"
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
    consumed_at bigint,
    -- Who sent the payload ({by, channel}), and the issues of one the hook's own schema turned down.
    sender jsonb,
    issues jsonb
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
  `;
}
