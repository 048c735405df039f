import { InvalidArgumentError } from "../errors.js";

export interface WorkerOptions {
  /** Runs executed at once by this worker (suspended runs do not count). Default 1000. */
  concurrency?: number;
  /**
   * How long a claim lasts without a heartbeat; a crashed worker's runs are taken over after it.
   * Default 30s. On SQLite under Linux a worker whose process is gone is not waited for: its runs
   * are taken over by the next claim.
   */
  leaseMs?: number;
  /** Suspended runs kept live in memory for warm resume (no replay). Default 10,000. */
  warmCacheSize?: number;
  /** Runs claimed per query. Default 256. */
  claimBatch?: number;
  /** How often unconfirmed lifecycle deliveries (a crash between commit and dispatch) are looked for. Default 5 s. */
  lifecycleRecoveryMs?: number;
  /**
   * How often the worker looks for due runs nobody told it about (a run suspended with a timer by
   * a worker that then died, a lease that ran out). Default 1 s: a killed worker's runs are taken
   * over within lease + 1 s (on SQLite under Linux, within 1 s: a dead holder's lease is not waited out).
   */
  pollMs?: number;
  /**
   * How long a step's start (and other events nothing waits on) may wait to be committed with the
   * step's result. Default 10 ms: a step that ends sooner costs one commit, not two. 0 commits every
   * start before its step runs. A crash within this time re-runs the step without counting the
   * attempt; a recovered run records every start first, so crash loops are still counted.
   */
  recordDelayMs?: number;
}

/** How long a worker's claim on a run (and on the lifecycle deliveries it commits) lasts without renewal. */
export const DEFAULT_LEASE_MS = 30_000;

const DEFAULTS: Required<WorkerOptions> = {
  concurrency: 1000,
  leaseMs: DEFAULT_LEASE_MS,
  warmCacheSize: 10_000,
  claimBatch: 256,
  lifecycleRecoveryMs: 5_000,
  pollMs: 1_000,
  recordDelayMs: 10,
};

/** The smallest value each numeric option takes (all are whole numbers). */
const OPTION_MINIMUM: Required<WorkerOptions> = {
  concurrency: 1,
  leaseMs: 100,
  warmCacheSize: 0,
  claimBatch: 1,
  lifecycleRecoveryMs: 10,
  pollMs: 10,
  recordDelayMs: 0,
};

/**
 * Refuses worker options a worker cannot run with (a negative lease, a fractional batch, a string).
 * @throws InvalidArgumentError naming the option, such as `worker.leaseMs`.
 */
export function checkWorkerOptions(options: WorkerOptions | false | undefined): void {
  if (options === false || options === undefined) return;
  if (typeof options !== "object" || options === null) {
    throw new InvalidArgumentError(
      "worker",
      "is not an object",
      `Pass worker: { leaseMs: ${DEFAULT_LEASE_MS} }, or false.`,
    );
  }
  for (const [name, value] of Object.entries(options)) {
    const min = OPTION_MINIMUM[name as keyof WorkerOptions];
    if (min === undefined) {
      throw new InvalidArgumentError(
        `worker.${name}`,
        "is not a worker option",
        `Use one of ${Object.keys(OPTION_MINIMUM).join(", ")}.`,
      );
    }
    if (value !== undefined && !(Number.isInteger(value) && value >= min)) {
      throw new InvalidArgumentError(
        `worker.${name}`,
        `is ${JSON.stringify(value)}`,
        `Pass a whole number of at least ${min}, or leave it out for the default.`,
      );
    }
  }
}

/** Every option with its default filled in (the options are checked first: see checkWorkerOptions). */
export function resolveWorkerOptions(options: WorkerOptions | false | undefined): Required<WorkerOptions> {
  const given = options || {};
  const out = { ...DEFAULTS };
  for (const name of Object.keys(DEFAULTS) as (keyof WorkerOptions)[]) {
    const value = given[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}
