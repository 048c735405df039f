/**
 * The numbered migration list of the SQLite store. Append, never edit: a database records the
 * number it is at in `PRAGMA user_version` and gets every later entry applied on open.
 */
export const SQLITE_MIGRATIONS: readonly string[] = [
  // 1: runs, their event logs, hooks and the payload inbox.
  `
  CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    workflow TEXT NOT NULL,
    version TEXT,
    status TEXT NOT NULL,
    input TEXT,
    output TEXT,
    error TEXT,
    seq INTEGER NOT NULL,
    owner TEXT,
    lease_until INTEGER,
    wake_at INTEGER,
    pending_inbox INTEGER NOT NULL DEFAULT 0,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    finished_at INTEGER
  );
  CREATE INDEX runs_wake ON runs (wake_at) WHERE wake_at IS NOT NULL;
  CREATE INDEX runs_owner ON runs (owner) WHERE owner IS NOT NULL;
  CREATE INDEX runs_created ON runs (created_at DESC, id DESC);
  CREATE INDEX runs_status ON runs (status, created_at DESC, id DESC);
  CREATE INDEX runs_workflow ON runs (workflow, created_at DESC, id DESC);

  CREATE TABLE events (
    run_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (run_id, seq)
  ) WITHOUT ROWID;

  CREATE TABLE hooks (
    id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    token TEXT NOT NULL,
    name TEXT,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    schema TEXT,
    metadata TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    closed_at INTEGER,
    payloads INTEGER NOT NULL DEFAULT 0
  );
  CREATE UNIQUE INDEX hooks_live_token ON hooks (token) WHERE status = 'pending';
  CREATE INDEX hooks_token ON hooks (token, created_at DESC);
  CREATE INDEX hooks_status ON hooks (status, created_at DESC, id DESC);
  CREATE INDEX hooks_created ON hooks (created_at DESC, id DESC);
  CREATE INDEX hooks_run ON hooks (run_id, created_at DESC);

  CREATE TABLE inbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token TEXT NOT NULL,
    hook_id TEXT,
    run_id TEXT,
    payload TEXT,
    idempotency_key TEXT,
    received_at INTEGER NOT NULL,
    consumed_at INTEGER
  );
  CREATE UNIQUE INDEX inbox_idempotency ON inbox (token, idempotency_key) WHERE idempotency_key IS NOT NULL;
  CREATE INDEX inbox_run ON inbox (run_id, id) WHERE consumed_at IS NULL;
  CREATE INDEX inbox_early ON inbox (token, id) WHERE hook_id IS NULL;

  CREATE TABLE workflows (name TEXT PRIMARY KEY, seen_at INTEGER NOT NULL);
  `,
  // 2: the lifecycle-hook outbox, written in the same transaction as the transition.
  `
  CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    workflow TEXT NOT NULL,
    handler TEXT NOT NULL,
    event TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    owner TEXT,
    lease_until INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX outbox_due ON outbox (lease_until);
  `,
  // 3: the worker that released a run last (it resumes the run warm; see RELEASE_AFFINITY_MS).
  `
  ALTER TABLE runs ADD COLUMN last_owner TEXT;
  `,
  // 4: the process behind each worker (owner) that took a lease here, so that a claim can tell a
  // dead holder from a live one on this machine (see process-liveness.ts). Only written where
  // /proc exists; elsewhere leases alone decide.
  `
  CREATE TABLE workers (
    owner TEXT PRIMARY KEY,
    pid INTEGER NOT NULL,
    started TEXT NOT NULL,
    machine TEXT NOT NULL,
    registered_at INTEGER NOT NULL
  );
  `,
  // 5: who sent each payload, and the issues of one the hook's own schema turned down.
  `
  ALTER TABLE inbox ADD COLUMN sender TEXT;
  ALTER TABLE inbox ADD COLUMN issues TEXT;
  `,
];
