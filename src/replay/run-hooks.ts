import { HookConflictError, HookDisposedError, HookExpiredError, type PayloadIssue } from "../errors.js";
import { earliest } from "./calls.js";
import type { EventOf } from "./events.js";
import type { HookState } from "./hook-state.js";

/**
 * The hooks of one run, by id, and what the runtime asks about them: which expire, which still
 * need their onCreated, which to dispose when the run ends, the earliest timeout. Also keeps the
 * `hook.created` events not yet committed, so a token the store refuses is marked on the event
 * itself, in this one place, whether the event is still here or already in the driver's buffer.
 */
export class RunHooks {
  private readonly byId = new Map<string, HookState>();
  private fresh: HookState[] = [];
  /** `hook.created` events made live and not committed yet (few: those of one commit). */
  private uncommitted: EventOf<"hook.created">[] = [];

  get(hookId: string): HookState | undefined {
    return this.byId.get(hookId);
  }

  /**
   * Adds the hook of a createHook call: as its log recorded it (`recorded`), or new, and then the
   * `hook.created` event to record is returned.
   */
  open(hook: HookState, recorded: EventOf<"hook.created"> | undefined): EventOf<"hook.created"> | undefined {
    this.byId.set(hook.hookId, hook);
    if (recorded) {
      hook.notified = !hook.onCreated;
      if (recorded.conflict) hook.close("conflict", () => new HookConflictError(hook.token));
      return undefined;
    }
    const created: EventOf<"hook.created"> = {
      type: "hook.created",
      callSeq: hook.callSeq,
      hookId: hook.hookId,
      token: hook.token,
      name: hook.name,
      kind: hook.kind,
      expiresAt: hook.expiresAt,
      schema: hook.jsonSchema,
      metadata: hook.metadata,
    };
    this.uncommitted.push(created);
    this.fresh.push(hook);
    return created;
  }

  /** Applies a hook event of the log (or a live one) to its hook. */
  apply(
    e: EventOf<"hook.notified" | "hook.received" | "hook.rejected" | "hook.expired" | "hook.disposed">,
  ): void {
    const hook = this.byId.get(e.hookId);
    if (!hook) return;
    if (e.type === "hook.notified") hook.notified = true;
    else if (e.type === "hook.received") hook.receive(e.payload, e.inboxId);
    else if (e.type === "hook.rejected") hook.reject(e.inboxId);
    else if (e.type === "hook.expired") hook.close("expired", () => new HookExpiredError(e.token));
    else hook.close("disposed", () => new HookDisposedError(e.token));
  }

  /** Hooks created since the last call, to register with the store (and notify once committed). */
  takeNew(): HookState[] {
    const out = this.fresh;
    this.fresh = [];
    return out;
  }

  /** The log now holds every event made so far: refusals can no longer concern them. */
  committed(): void {
    if (this.uncommitted.length) this.uncommitted = [];
  }

  /** The store refused the hook's token (another live hook holds it): record that, fail the awaiters. */
  markConflict(hookId: string): void {
    const hook = this.byId.get(hookId);
    const created = this.uncommitted.find((e) => e.hookId === hookId);
    if (created) created.conflict = true;
    if (!hook) return;
    this.fresh = this.fresh.filter((h) => h !== hook);
    hook.close("conflict", () => new HookConflictError(hook.token));
  }

  /** Checks a payload against its hook's own schema before delivery (see HookState.check). */
  check(e: EventOf<"hook.received">): Promise<PayloadIssue[] | undefined> {
    const hook = this.byId.get(e.hookId);
    return hook ? hook.check(e.payload, e.inboxId) : Promise.resolve(undefined);
  }

  /** Pending hooks whose timeout has passed at `now`, as the events that expire them. */
  expiring(now: number): EventOf<"hook.expired">[] {
    const out: EventOf<"hook.expired">[] = [];
    for (const h of this.byId.values()) {
      if (h.status === "pending" && h.expiresAt !== undefined && h.expiresAt <= now) {
        out.push({ type: "hook.expired", hookId: h.hookId, token: h.token });
      }
    }
    return out;
  }

  /** The earliest timeout of a pending hook. */
  nextExpiry(): number | undefined {
    let at: number | undefined;
    for (const h of this.byId.values()) if (h.status === "pending") at = earliest(at, h.expiresAt);
    return at;
  }

  /** Pending hooks whose onCreated was never confirmed done (a crash came between). */
  unnotified(): HookState[] {
    return [...this.byId.values()].filter((h) => !h.notified && h.onCreated && h.status === "pending");
  }

  /** The run ends: the events that dispose every hook still pending. */
  disposalsAtEnd(): EventOf<"hook.disposed">[] {
    const out: EventOf<"hook.disposed">[] = [];
    for (const h of this.byId.values()) {
      if (h.status === "pending") {
        out.push({ type: "hook.disposed", hookId: h.hookId, token: h.token, reason: "run_ended" });
      }
    }
    return out;
  }
}
