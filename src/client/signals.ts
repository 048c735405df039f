import { EventEmitter } from "node:events";
import type { Store } from "../store/store.js";

/**
 * In-process doorbells between the clients and the worker that share one Store object, so a resume
 * or a start in this process reaches the worker at once, without polling.
 */
export class Signals extends EventEmitter {
  constructor() {
    super();
    this.setMaxListeners(0);
  }
  /** A run may be ready for a worker (started, resumed, cancelled). */
  ready(runId?: string): void {
    this.emit("ready", runId);
  }
  /** A run reached a terminal status. */
  finished(runId: string): void {
    this.emit(`finished:${runId}`);
  }
}

const byStore = new WeakMap<Store, Signals>();

export function signalsFor(store: Store): Signals {
  let s = byStore.get(store);
  if (!s) {
    s = new Signals();
    byStore.set(store, s);
  }
  return s;
}
