import { randomUUID } from "node:crypto";
import type { Signals } from "../client/signals.js";
import type { Clock } from "../clock.js";
import { InvalidArgumentError, serializeError } from "../errors.js";
import { newHookId } from "../ids.js";
import type { LifecycleDispatcher } from "../lifecycle/dispatcher.js";
import type { LatchEvent } from "../replay/events.js";
import { Execution, type RunServices } from "../replay/execution.js";
import type { HookState } from "../replay/hook-state.js";
import { decodeValue } from "../replay/values.js";
import type { ClaimedRun } from "../store/records.js";
import type { Store, StoreChange } from "../store/store.js";
import type { Workflow } from "../workflow/define-workflow.js";
import { CommitQueue } from "./commit-queue.js";
import type { Logger } from "./logger.js";
import { RunDriver } from "./run-driver.js";
import type { Intercept } from "./step-runner.js";
import { WarmCache } from "./warm-cache.js";

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

/** The smallest value each numeric option takes (all are whole numbers). */
const OPTION_MINIMUM: Record<keyof WorkerOptions, number> = {
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
      "Pass worker: { leaseMs: 30000 }, or false.",
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

export interface WorkerDeps {
  store: Store;
  clock: Clock;
  signals: Signals;
  logger: Logger;
  owner: string;
  workflows: ReadonlyMap<string, Workflow>;
  onHookRegistered?: (hook: HookState) => void | Promise<void>;
  intercept: Intercept;
  dispatcher: LifecycleDispatcher;
  /** The engine's run context, handed to every execution (webhook URLs, hook definitions). */
  services?: RunServices;
}

/**
 * Claims ready runs and drives them: the claim → replay (or warm resume) → commit loop. Woken by
 * in-process signals, by the store's cross-process watch, and by the next due timer.
 */
export class Worker {
  private readonly drivers = new Map<string, RunDriver>();
  /** Runs claimed and not yet given back: being loaded, replayed or driven. */
  private readonly inflight = new Set<string>();
  private readonly driving = new Set<Promise<void>>();
  private readonly warm: WarmCache<Execution>;
  private readonly commits: CommitQueue;
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly claimBatch: number;
  private readonly recoveryMs: number;
  private readonly pollMs: number;
  private readonly recordDelayMs: number;
  /** Runs a doorbell named that this worker does not hold: claimed by id, no scan needed. */
  private readonly wanted = new Set<string>();
  /** Runs named by a doorbell while they were being loaded or suspending: looked at again after. */
  private readonly missed = new Set<string>();
  /** A claim that looks for any due run is needed (start, timer, poll, an unspecific doorbell). */
  private scanDue = false;
  /** The last claim stopped at the concurrency limit: look again when a run is given back. */
  private saturated = false;
  private claiming = false;
  private lastRecoverAt = 0;
  private again = false;
  private running = false;
  private cancelTimer: (() => void) | undefined;
  private timerAt: number | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private poll: NodeJS.Timeout | undefined;
  private unwatch: (() => void) | undefined;
  private idleWaiters: (() => void)[] = [];
  private readonly onReady = (runId?: string) => this.wakeUp(runId);
  private readonly onCancel = (runId: string) => this.drivers.get(runId)?.kick({ cancel: true });

  constructor(
    private readonly deps: WorkerDeps,
    options: WorkerOptions = {},
  ) {
    this.concurrency = options.concurrency ?? 1000;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.claimBatch = options.claimBatch ?? 256;
    this.recoveryMs = options.lifecycleRecoveryMs ?? 5_000;
    this.pollMs = options.pollMs ?? 1_000;
    this.recordDelayMs = options.recordDelayMs ?? 10;
    this.warm = new WarmCache(options.warmCacheSize ?? 10_000);
    this.commits = new CommitQueue(deps.store);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.deps.signals.on("ready", this.onReady);
    this.deps.signals.on("cancel", this.onCancel);
    this.unwatch = this.deps.store.watch((change) => this.onForeignChange(change), {
      owner: this.deps.owner,
    });
    // A ref'd timer keeps the process alive while the worker runs; close() ends it.
    this.heartbeat = setInterval(() => void this.renewLeases(), Math.max(50, Math.floor(this.leaseMs / 3)));
    this.poll = setInterval(() => this.schedule(), this.pollMs);
    this.poll.unref();
    this.schedule();
    this.deps.dispatcher.start(this.recoveryMs);
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.deps.signals.off("ready", this.onReady);
    this.deps.signals.off("cancel", this.onCancel);
    this.unwatch?.();
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.timerAt = undefined;
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.poll) clearInterval(this.poll);
    // Graceful: stop every run at its next turn, let commits already sent finish, then give the
    // claims back (lease ended now) so another worker continues them at once, not a lease later.
    const held = [...this.inflight];
    for (const d of this.drivers.values()) d.stop("worker stopping");
    await Promise.race([
      Promise.allSettled([...this.driving]),
      new Promise((r) => setTimeout(r, 5_000).unref()),
    ]);
    this.drivers.clear();
    if (held.length) {
      await this.deps.store
        .renewLeases(this.deps.owner, held, this.deps.clock.now(), -1)
        .catch((err) =>
          this.deps.logger.warn("could not give back claims on stop", { error: serializeError(err) }),
        );
    }
    await this.deps.dispatcher.stop();
    this.warm.clear();
    for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Resolves when no run is being driven and no claim is under way (tests, graceful shutdown). */
  /**
   * Resolves when no run is being driven and no claim is under way. With `untilBlocked`, runs that
   * only wait on running steps or timers count as idle (a virtual clock must move for them).
   */
  async idle(options: { untilBlocked?: boolean } = {}): Promise<void> {
    this.schedule();
    const untilBlocked = options.untilBlocked ?? false;
    for (;;) {
      while (this.running && (this.claiming || this.again || this.busyRuns(untilBlocked))) {
        // Woken by the worker, and re-checked every few ms in case a change slipped between check and wait.
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 5);
          this.idleWaiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
      if (!untilBlocked || !this.running) return;
      // A step that finishes at once (no real I/O) unblocks its run within a turn: let it.
      await new Promise((r) => setTimeout(r, 1));
      if (!(this.claiming || this.again || this.busyRuns(true))) return;
    }
  }

  private busyRuns(untilBlocked: boolean): boolean {
    if (!untilBlocked) return this.inflight.size > 0;
    if (this.inflight.size !== this.drivers.size) return true;
    for (const d of this.drivers.values()) if (!d.blocked) return true;
    return false;
  }

  get activeRuns(): number {
    return this.inflight.size;
  }

  /** An in-process doorbell: a run started or resumed here (kick it, or claim it), or "look". */
  private wakeUp(runId?: string): void {
    if (runId === undefined) this.schedule();
    else this.named(runId, { inbox: true });
  }

  /** A doorbell named this run: kick it where held, else claim it by id. */
  private named(runId: string, what: { inbox?: boolean; cancel?: boolean }): void {
    if (this.inflight.has(runId)) {
      // Being loaded, or suspending with the news unseen: looked at again once that is done.
      this.missed.add(runId);
      this.drivers.get(runId)?.kick(what);
      return;
    }
    this.wanted.add(runId);
    this.schedule({ scan: false });
  }

  /** Another process changed something: `change` names the runs, or is missing ("look at everything"). */
  private onForeignChange(change?: StoreChange): void {
    if (change) {
      for (const id of change.created) this.named(id, {});
      for (const { runId, lastOwner } of change.payloads) {
        // Another live worker released this run and resumes it warm; a scan takes it if not.
        if (lastOwner === undefined || lastOwner === this.deps.owner || this.inflight.has(runId)) {
          this.named(runId, { inbox: true });
        }
      }
      let expand = false;
      for (const id of change.cancels) {
        if (this.inflight.has(id)) this.named(id, { cancel: true });
        // Cancelled directly by another process: its lifecycle deliveries are waiting in the outbox.
        else expand = true;
      }
      if (expand) this.recoverSoon();
      return;
    }
    this.schedule();
    this.recoverSoon();
    if (this.drivers.size === 0) return;
    void this.deps.store.ownedRunsWithWork(this.deps.owner).then(
      (ids) => {
        for (const id of ids) this.drivers.get(id)?.kick({ inbox: true, cancel: true });
      },
      (err) =>
        this.deps.logger.warn("could not check held runs for new work", { error: serializeError(err) }),
    );
  }

  /** Lifecycle deliveries of runs cancelled by another process: looked for at most once a second. */
  private recoverSoon(): void {
    const now = Date.now();
    if (now - this.lastRecoverAt > 1000) {
      this.lastRecoverAt = now;
      void this.deps.dispatcher.recover();
    }
  }

  /**
   * Claims. `scan` (the default) looks for any due run; otherwise only the runs doorbells named
   * are claimed, by id. Calls made while a claim is out are folded into one more round.
   */
  private schedule(options: { scan?: boolean } = {}): void {
    if (!this.running) return;
    if (options.scan ?? true) this.scanDue = true;
    if (this.claiming) {
      this.again = true;
      return;
    }
    this.claiming = true;
    setImmediate(() => void this.claimLoop());
  }

  private async claimLoop(): Promise<void> {
    let scanned = false;
    try {
      do {
        this.again = false;
        await this.claimNamed();
        if (this.scanDue) {
          this.scanDue = false;
          scanned = true;
          await this.claimAny();
        }
      } while (this.again && this.running);
      if (scanned) await this.scheduleTimer();
    } catch (err) {
      this.deps.logger.error("claiming runs failed; retrying in 1s", { error: serializeError(err) });
      this.armTimer(this.deps.clock.now() + 1000);
    } finally {
      this.claiming = false;
      if (this.again) this.schedule({ scan: false });
      else this.notifyIdle();
    }
  }

  private room(): number {
    return this.concurrency - this.inflight.size;
  }

  private async claimNamed(): Promise<void> {
    while (this.running && this.wanted.size > 0) {
      const room = Math.min(this.claimBatch, this.room());
      if (room <= 0) {
        this.saturated = true;
        return;
      }
      const ids: string[] = [];
      for (const id of this.wanted) {
        this.wanted.delete(id);
        if (!this.inflight.has(id)) ids.push(id);
        if (ids.length === room) break;
      }
      if (ids.length === 0) return;
      this.startAll(await this.claim({ limit: ids.length, ids }));
    }
  }

  private async claimAny(): Promise<void> {
    while (this.running) {
      const limit = Math.min(this.claimBatch, this.room());
      if (limit <= 0) {
        this.saturated = true;
        return;
      }
      const claimed = await this.claim({ limit });
      this.startAll(claimed);
      if (claimed.length < limit) return;
    }
  }

  private claim(opts: { limit: number; ids?: string[] }): Promise<ClaimedRun[]> {
    return this.deps.store.claimRuns({
      owner: this.deps.owner,
      now: this.deps.clock.now(),
      leaseMs: this.leaseMs,
      workflows: [...this.deps.workflows.keys()],
      ...opts,
    });
  }

  private startAll(claimed: ClaimedRun[]): void {
    for (const c of claimed) {
      this.inflight.add(c.run.id);
      const driving = this.drive(c);
      this.driving.add(driving);
      void driving.finally(() => this.driving.delete(driving));
    }
  }

  /** Sets the timer to the earliest due run the store knows of (runs released with a timer, leases that end). */
  private async scheduleTimer(): Promise<void> {
    if (!this.running) return;
    const next = await this.deps.store.nextWakeAt();
    if (next !== undefined) this.armTimer(next);
  }

  /** A scan at `at`, unless one is set for earlier already. */
  private armTimer(at: number): void {
    if (!this.running || (this.timerAt !== undefined && this.timerAt <= at)) return;
    this.cancelTimer?.();
    this.timerAt = at;
    this.cancelTimer = this.deps.clock.setTimer(at, () => {
      this.timerAt = undefined;
      this.cancelTimer = undefined;
      this.schedule();
    });
  }

  private async drive(claim: ClaimedRun): Promise<void> {
    try {
      await this.driveClaimed(claim);
    } catch (err) {
      this.deps.logger.error(
        `run ${claim.run.id}: could not be loaded; it will be retried when its lease ends`,
        {
          error: serializeError(err),
        },
      );
    } finally {
      this.inflight.delete(claim.run.id);
      this.missed.delete(claim.run.id);
      if (this.saturated) {
        this.saturated = false;
        this.schedule();
      }
      this.notifyIdle();
    }
  }

  private async driveClaimed(claim: ClaimedRun): Promise<void> {
    const { run } = claim;
    const workflow = this.deps.workflows.get(run.workflow)!;
    let exec = this.warm.take(run.id);
    let cold = false;
    let crashed = false;
    if (!exec || exec.seq !== run.seq) {
      cold = true;
      exec = new Execution(run.id, run.workflow, {
        now: () => this.deps.clock.now(),
        newHookId,
        random: Math.random,
        randomUUID,
        services: this.deps.services,
      });
      // A fresh run's log is just run.created: no need to read it.
      const events = run.seq === 1 ? [] : await this.deps.store.readEvents(run.id);
      // A log that does not end suspended was cut off: its worker died (or lost its lease).
      crashed = run.seq > 1 && events.at(-1)?.type !== "run.suspended";
      await exec.begin(workflow.fn, decodeValue<unknown[]>(run.input) ?? [], events);
      const started = events.find((e) => e.type === "run.started");
      exec.deadline = started?.type === "run.started" ? started.deadline : undefined;
      exec.seq = run.seq;
    }
    if (!this.running) return; // stopping: the claim is given back by stop()
    const fresh = run.seq === 1;
    if (fresh && workflow.timeoutMs !== undefined) exec.deadline = this.deps.clock.now() + workflow.timeoutMs;
    // Claimed after its workflow timeout (the deadline was its wake-up, or it came due meanwhile):
    // the run never resumes its work, so it is not recorded as resumed; it ends timed_out as it lies.
    const overdue = !fresh && exec.deadline !== undefined && exec.deadline <= this.deps.clock.now();
    const intro: LatchEvent | "timed_out" = fresh
      ? { type: "run.started", deadline: exec.deadline }
      : overdue
        ? "timed_out"
        : {
            type: "run.resumed",
            reason: crashed
              ? "recovery"
              : run.cancelRequested
                ? "cancel"
                : claim.inbox.length
                  ? "payload"
                  : "timer",
          };
    const driver = new RunDriver(
      {
        store: this.deps.store,
        commits: this.commits,
        clock: this.deps.clock,
        owner: this.deps.owner,
        logger: this.deps.logger,
        signals: this.deps.signals,
        onHookRegistered: this.deps.onHookRegistered,
        onBlocked: () => this.notifyIdle(true),
        workflow,
        leaseMs: this.leaseMs,
        recordDelayMs: this.recordDelayMs,
        hasLifecycleHooks: workflow.hooks !== undefined && Object.keys(workflow.hooks).length > 0,
        intercept: this.deps.intercept,
        dispatch: (deliveries) => this.deps.dispatcher.dispatch(run.id, deliveries[0]!.id, deliveries),
      },
      exec,
      {
        intro,
        inbox: claim.inbox,
        cancelRequested: run.cancelRequested,
        cold,
        careful: crashed || claim.recovered,
      },
    );
    this.drivers.set(run.id, driver);
    if (this.missed.delete(run.id)) driver.kick({ inbox: true, cancel: true });
    const end = await driver.drive();
    this.drivers.delete(run.id);
    if (end.kind === "suspended" && this.running) {
      this.warm.put(run.id, exec);
      // Due again at once (news came in while it suspended), or at its timer.
      if (end.ready || this.missed.delete(run.id)) {
        this.inflight.delete(run.id);
        this.named(run.id, { inbox: true });
      } else if (end.wakeAt !== undefined) this.armTimer(end.wakeAt);
    }
    if (end.kind === "dropped" && end.reason !== "stopped") {
      this.deps.logger.warn(
        `run ${run.id}: dropped (${end.reason}); another worker holds it or it will be retried`,
      );
    }
  }

  private async renewLeases(): Promise<void> {
    if (this.drivers.size === 0) return;
    // The drivers as they were when the renewal went out: a "lost" answer concerns them only. A run
    // suspended meanwhile (owner released) and claimed again has a newer driver that holds it.
    // Runs being given back (a suspend or end commit out) need no renewal.
    const sent = new Map([...this.drivers].filter(([, d]) => !d.releasing));
    if (sent.size === 0) return;
    try {
      const lost = await this.deps.store.renewLeases(
        this.deps.owner,
        [...sent.keys()],
        this.deps.clock.now(),
        this.leaseMs,
      );
      for (const id of lost) {
        const driver = sent.get(id);
        if (driver && this.drivers.get(id) === driver) {
          this.deps.logger.warn(`run ${id}: lease lost; another worker may take it over`);
          driver.stop("lease lost");
        }
      }
    } catch (err) {
      this.deps.logger.warn("lease renewal failed", { error: serializeError(err) });
    }
  }

  private notifyIdle(force = false): void {
    if (!force && (this.inflight.size > 0 || this.claiming)) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }
}
