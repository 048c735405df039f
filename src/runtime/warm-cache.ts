/**
 * A bounded map that forgets the least recently stored entry first. Holds suspended runs' live
 * executions so a resume continues the pending promise instead of replaying the log.
 */
export class WarmCache<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly capacity: number) {}

  put(key: string, value: V): void {
    if (this.capacity <= 0) return;
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as string);
  }

  /** Removes and returns the entry: a run being driven is not "warm", it is active. */
  take(key: string): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) this.map.delete(key);
    return v;
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
  }

  get size(): number {
    return this.map.size;
  }
}
