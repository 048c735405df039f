import type { Clock } from "../clock.js";
import { type Duration, parseDuration } from "../replay/duration.js";

/**
 * A clock that moves only when told. `advance("7d")` fires every timer that falls due, in order.
 * @example const clock = new VirtualClock(); await clock.advance("1h");
 */
export class VirtualClock implements Clock {
  private time: number;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 0;
  /** Awaited after timers fire, so `advance` returns once the engine has caught up. */
  afterAdvance: (() => Promise<void>) | undefined;

  constructor(start: number | Date = Date.UTC(2030, 0, 1)) {
    this.time = typeof start === "number" ? start : start.getTime();
  }

  now(): number {
    return this.time;
  }

  setTimer(at: number, fn: () => void): () => void {
    const id = this.nextId++;
    this.timers.push({ at, fn, id });
    return () => {
      this.timers = this.timers.filter((t) => t.id !== id);
    };
  }

  /** Moves time forward, firing due timers in time order, and waits for the engine to settle. */
  async advance(by: Duration): Promise<void> {
    const target = this.time + parseDuration(by, "advance");
    // Let what is already under way finish at the current time first (a resume just sent, say).
    await this.afterAdvance?.();
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.timers[0];
      if (!next || next.at > target) break;
      this.timers.shift();
      this.time = Math.max(this.time, next.at);
      next.fn();
      await this.afterAdvance?.();
    }
    this.time = target;
    await this.afterAdvance?.();
  }
}
