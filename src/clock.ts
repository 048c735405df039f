/** Time as Latch sees it. Injected everywhere time is read, so tests advance it instead of sleeping. */
export interface Clock {
  now(): number;
  /** Calls `fn` at (or soon after) `at`; returns a cancel function. */
  setTimer(at: number, fn: () => void): () => void;
}

const MAX_DELAY = 2 ** 31 - 1;

/** The wall clock. Long timers are capped; the worker re-checks what is due when they fire. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(at, fn) {
    const t = setTimeout(fn, Math.min(Math.max(0, at - Date.now()), MAX_DELAY));
    t.unref();
    return () => clearTimeout(t);
  },
};
