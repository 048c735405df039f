/**
 * Whether the events buffered may wait for a later commit, and until when. While steps are about
 * to start or running, events nothing waits on (see HOLDABLE in commit-planner.ts) are held for at
 * most `delayMs` of real time, so a step that ends soon has its start committed with its result:
 * one commit, not two. A `careful` run (recovered from another worker) holds nothing.
 */
export class CommitHold {
  /** When the oldest uncommitted event was recorded while commits were held back. */
  private since: number | undefined;

  constructor(
    private readonly delayMs: number,
    private readonly careful: boolean,
    private readonly now: () => number = Date.now,
  ) {}

  /** Events are held back now. */
  get holding(): boolean {
    return this.since !== undefined;
  }

  /**
   * Whether the buffer may wait: `holdable` (every event in it may), steps about to start or
   * running (their results will come with it), no hook waiting to be told about (its registration
   * must be durable first), and the oldest held event not held for `delayMs` yet.
   */
  mayHold(buffer: { holdable: boolean; stepsAhead: boolean; hooksToTell: boolean }): boolean {
    if (this.careful || buffer.hooksToTell || !buffer.stepsAhead) return false;
    const now = this.now();
    if (this.since !== undefined && now - this.since >= this.delayMs) return false;
    if (!buffer.holdable) return false;
    this.since ??= now;
    return true;
  }

  /** The held events go with the commit being made. */
  release(): void {
    this.since = undefined;
  }

  /** How long until the held events must be committed (undefined: nothing held). */
  dueIn(): number | undefined {
    return this.since === undefined ? undefined : this.since + this.delayMs - this.now();
  }
}
