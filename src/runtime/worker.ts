import type { Signals } from "../client/signals.js";
import type { Clock } from "../clock.js";
import { serializeError } from "../errors.js";
import type { LifecycleDispatcher } from "../lifecycle/dispatcher.js";
import type { RunServices } from "../replay/execution-host.js";
import type { HookState } from "../replay/hook-state.js";
import type { ClaimedRun } from "../store/records.js";
import type { Store } from "../store/store.js";
import type { Workflow } from "../workflow/define-workflow.js";
import { ClaimLoop } from "./claim-loop.js";
import { CommitQueue } from "./commit-queue.js";
import { LeaseKeeper } from "./lease-keeper.js";
import type { Logger } from "./logger.js";
import { RunDriver } from "./run-driver.js";
import { RunLoader } from "./run-loader.js";
import type { Intercept } from "./step-runner.js";
import { type HeldRuns, type Kick, WakeUps } from "./wake-ups.js";
import { resolveWorkerOptions, type WorkerOptions } from "./worker-options.js";

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
 * Claims ready runs and drives them: the claim → load (warm or cold) → drive → commit loop (see
 * README.md). This class holds the runs being driven and ties the parts together: the ClaimLoop
 * decides when to claim, the WakeUps say when to look, the LeaseKeeper keeps the claims alive, the
 * RunLoader gets each run's execution, a RunDriver drives it.
 */
export class Worker {
  private readonly drivers = new Map<string, RunDriver>();
  /** Runs claimed and not yet given back: being loaded, replayed or driven. */
  private readonly inflight = new Set<string>();
  private readonly driving = new Set<Promise<void>>();
  /** Runs named by a doorbell while they were being loaded or suspending: looked at again after. */
  private readonly missed = new Set<string>();
  private readonly options: Required<WorkerOptions>;
  private readonly commits: CommitQueue;
  private readonly loader: RunLoader;
  private readonly claims: ClaimLoop;
  private readonly wakeUps: WakeUps;
  private readonly leases: LeaseKeeper;
  private running = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly deps: WorkerDeps,
    options: WorkerOptions = {},
  ) {
    this.options = resolveWorkerOptions(options);
    const { store, clock, logger, owner } = deps;
    const { leaseMs } = this.options;
    this.commits = new CommitQueue(store);
    this.loader = new RunLoader(
      { store, clock, workflows: deps.workflows, services: deps.services },
      this.options.warmCacheSize,
    );
    this.claims = new ClaimLoop({
      store,
      clock,
      logger,
      owner,
      leaseMs,
      claimBatch: this.options.claimBatch,
      workflowNames: () => [...deps.workflows.keys()],
      holds: (id) => this.inflight.has(id),
      room: () => this.options.concurrency - this.inflight.size,
      onClaimed: (claim) => this.take(claim),
      onQuiet: () => this.notifyIdle(),
    });
    const held: HeldRuns = {
      holds: (id) => this.inflight.has(id),
      kick: (id, what) => this.drivers.get(id)?.kick(what),
      remind: (id, what) => this.remind(id, what),
      driven: () => this.drivers.size,
    };
    this.wakeUps = new WakeUps({
      store,
      signals: deps.signals,
      logger,
      owner,
      pollMs: this.options.pollMs,
      claims: this.claims,
      held,
      recoverDeliveries: () => void deps.dispatcher.recover(),
    });
    this.leases = new LeaseKeeper({ store, clock, logger, owner, leaseMs, held: () => this.drivers });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.wakeUps.start();
    this.leases.start();
    this.claims.start();
    this.deps.dispatcher.start(this.options.lifecycleRecoveryMs);
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wakeUps.stop();
    this.claims.stop();
    this.leases.stop();
    // Graceful: stop every run at its next turn, let commits already sent finish, then give the
    // claims back (lease ended now) so another worker continues them at once, not a lease later.
    const held = [...this.inflight];
    for (const d of this.drivers.values()) d.stop("worker stopping");
    await Promise.race([
      Promise.allSettled([...this.driving]),
      new Promise((r) => setTimeout(r, 5_000).unref()),
    ]);
    this.drivers.clear();
    await this.leases.giveBack(held);
    await this.deps.dispatcher.stop();
    this.loader.clear();
    for (const w of this.idleWaiters.splice(0)) w();
  }

  /**
   * Resolves when no run is being driven and no claim is under way (tests, graceful shutdown).
   * With `untilBlocked`, runs that only wait on running steps or timers count as idle (a virtual
   * clock must move for them).
   */
  async idle(options: { untilBlocked?: boolean } = {}): Promise<void> {
    this.claims.scan();
    const untilBlocked = options.untilBlocked ?? false;
    for (;;) {
      while (this.running && (this.claims.busy || this.busyRuns(untilBlocked))) {
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
      if (!(this.claims.busy || this.busyRuns(true))) return;
    }
  }

  get activeRuns(): number {
    return this.inflight.size;
  }

  private busyRuns(untilBlocked: boolean): boolean {
    if (!untilBlocked) return this.inflight.size > 0;
    if (this.inflight.size !== this.drivers.size) return true;
    for (const d of this.drivers.values()) if (!d.blocked) return true;
    return false;
  }

  /** Drives a run just claimed. */
  private take(claim: ClaimedRun): void {
    this.inflight.add(claim.run.id);
    const driving = this.drive(claim);
    this.driving.add(driving);
    void driving.finally(() => this.driving.delete(driving));
  }

  /** News for a run held here: its driver looks now, and the run is looked at again once given back. */
  private remind(runId: string, what: Kick): void {
    this.missed.add(runId);
    this.drivers.get(runId)?.kick(what);
  }

  private async drive(claim: ClaimedRun): Promise<void> {
    try {
      await this.driveClaimed(claim);
    } catch (err) {
      this.deps.logger.error(
        `run ${claim.run.id}: could not be loaded; it will be retried when its lease ends`,
        { error: serializeError(err) },
      );
    } finally {
      this.inflight.delete(claim.run.id);
      this.missed.delete(claim.run.id);
      this.claims.released();
      this.notifyIdle();
    }
  }

  private async driveClaimed(claim: ClaimedRun): Promise<void> {
    const { run } = claim;
    const loaded = await this.loader.load(claim);
    if (!this.running) return; // stopping: the claim is given back by stop()
    const { exec, workflow } = loaded;
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
        leaseMs: this.options.leaseMs,
        recordDelayMs: this.options.recordDelayMs,
        intercept: this.deps.intercept,
        dispatch: (deliveries) => this.deps.dispatcher.dispatch(run.id, deliveries[0]!.id, deliveries),
      },
      exec,
      {
        intro: loaded.intro,
        inbox: claim.inbox,
        cancelRequested: run.cancelRequested,
        cold: loaded.cold,
        careful: loaded.careful,
      },
    );
    this.drivers.set(run.id, driver);
    if (this.missed.delete(run.id)) driver.kick({ inbox: true, cancel: true });
    const end = await driver.drive();
    this.drivers.delete(run.id);
    if (end.kind === "suspended" && this.running) {
      this.loader.keepWarm(run.id, exec);
      // Due again at once (news came in while it suspended), or at its timer.
      if (end.ready || this.missed.delete(run.id)) {
        this.inflight.delete(run.id);
        this.wakeUps.ring(run.id, { inbox: true });
      } else if (end.wakeAt !== undefined) this.claims.scanAt(end.wakeAt);
    }
    if (end.kind === "dropped" && end.reason !== "stopped") {
      this.deps.logger.warn(
        `run ${run.id}: dropped (${end.reason}); another worker holds it or it will be retried`,
      );
    }
  }

  private notifyIdle(force = false): void {
    if (!force && (this.inflight.size > 0 || this.claims.claiming)) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }
}
