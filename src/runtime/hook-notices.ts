import { serializeError } from "../errors.js";
import type { EventOf } from "../replay/events.js";
import type { HookState } from "../replay/hook-state.js";
import type { Logger } from "./logger.js";

export interface HookNoticeDeps {
  runId: string;
  logger: Logger;
  /**
   * Called once per hook, after its registration is committed (testing: mocks, counters). Awaited
   * like `onCreated`; if it throws, the run fails with that error (a bad mock is a bug in the test).
   */
  onHookRegistered?: (hook: HookState) => void | Promise<void>;
}

/**
 * Tells the outside about a run's hooks once their registration is durable (a token handed out
 * before would name a hook that may never exist): the hook's `onCreated`, once per hook and
 * confirmed by a `hook.notified` event so a replay does not call it again, and the engine's
 * `onHookRegistered`.
 */
export class HookNotices {
  private waiting: HookState[] = [];

  constructor(private readonly deps: HookNoticeDeps) {}

  /** Hooks just created by the code: told once their registration is committed. */
  created(hooks: readonly HookState[]): void {
    for (const h of hooks) if (h.onCreated || this.deps.onHookRegistered) this.waiting.push(h);
  }

  /** Hooks a cold replay found without a confirmed onCreated (a crash came between). */
  unconfirmed(hooks: readonly HookState[]): void {
    for (const h of hooks) this.waiting.push(h);
  }

  /** Hooks waiting to be told about. */
  get size(): number {
    return this.waiting.length;
  }

  /** The store refused these hooks' tokens: nobody is told of them. */
  drop(hookIds: readonly string[]): void {
    this.waiting = this.waiting.filter((h) => !hookIds.includes(h.hookId));
  }

  /**
   * Tells about every hook waiting (their registrations are now durable); `confirm` records each
   * `hook.notified`. Returns the error of a failing onHookRegistered: the run fails with it.
   */
  async tell(confirm: (e: EventOf<"hook.notified">) => void): Promise<{ error: unknown } | undefined> {
    const hooks = this.waiting;
    this.waiting = [];
    let failure: { error: unknown } | undefined;
    for (const h of hooks) {
      if (failure) break; // the run ends at the next turn: nobody should be told of its hooks
      if (h.status === "conflict") continue;
      try {
        await this.deps.onHookRegistered?.(h);
      } catch (error) {
        failure = { error };
      }
      if (!h.onCreated || h.notified) continue;
      try {
        await h.onCreated(h.token);
      } catch (err) {
        this.deps.logger.error(
          `run ${this.deps.runId}: onCreated of hook ${h.token} threw; the hook is live regardless`,
          { error: serializeError(err) },
        );
      }
      confirm({ type: "hook.notified", callSeq: h.callSeq, hookId: h.hookId });
    }
    return failure;
  }
}
