import pg from "pg";
import type { StoreChange } from "../../store/store.js";
import { parserFor } from "./connection.js";

/**
 * The cross-process doorbell: one dedicated connection (outside the pool, which would recycle it)
 * that LISTENs on the schema's channel. Notifications name what changed (`r:`, `p:`, `c:` + run id,
 * `p:<run>@<worker>` with the worker that released the run last; space-separated; see wake() in
 * sql/shared.ts); a burst of them is rung as a few calls, each with everything named since the last (see ring). When the connection drops it reconnects with back-off; each time
 * LISTEN becomes active it rings once without a change ("look at everything"), because anything
 * sent before (or while it was away) was missed.
 */
export class WakeListener {
  private readonly listeners = new Set<(change?: StoreChange) => void>();
  private client: pg.Client | undefined;
  /** What the next ring reports; undefined after a notification that named nothing. */
  private change: StoreChange | undefined = emptyChange();
  private pending = false;
  private trailing = false;
  private quietUntil = 0;
  private trailingTimer: NodeJS.Timeout | undefined;
  private readonly burstMs = 2;
  private retryMs = 100;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = true;

  constructor(
    private readonly connectionString: string,
    private readonly channel: string,
    private readonly connectTimeoutMs: number,
  ) {}

  /**
   * The worker this process runs, if any: the connection is then named `latch-worker <owner>`, which
   * is how other workers see it is alive (see live_workers() in sql/shared.ts).
   */
  private owner: string | undefined;

  add(listener: (change?: StoreChange) => void, owner?: string): () => void {
    this.listeners.add(listener);
    if (owner && !this.owner) {
      this.owner = owner;
      void this.client
        ?.query("SELECT set_config('application_name', $1, false)", [workerName(owner)])
        .catch(() => {});
    }
    if (this.stopped) {
      this.stopped = false;
      void this.connect();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) void this.stop();
    };
  }

  /** Resolves once LISTEN is active (tests; a worker does not need to wait). */
  async ready(): Promise<void> {
    while (!this.stopped && !this.client) await new Promise((r) => setTimeout(r, 10));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.trailingTimer) clearTimeout(this.trailingTimer);
    this.trailingTimer = undefined;
    this.retryTimer = undefined;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    this.retryTimer = undefined;
    if (this.stopped) return;
    const client = new pg.Client({
      connectionString: this.connectionString,
      connectionTimeoutMillis: this.connectTimeoutMs,
      keepAlive: true,
      application_name: this.owner ? workerName(this.owner) : "latch-listen",
      types: { getTypeParser: parserFor as never },
    });
    let failed = false;
    const fail = () => {
      if (failed) return;
      failed = true;
      if (this.client === client) this.client = undefined;
      client.end().catch(() => {});
      this.scheduleReconnect();
    };
    client.on("error", fail);
    client.on("end", fail);
    client.on("notification", (msg) => {
      if (msg.channel !== this.channel) return;
      this.note(msg.payload);
      this.ring();
    });
    try {
      await client.connect();
      await client.query(`LISTEN "${this.channel.replace(/"/g, '""')}"`);
    } catch {
      fail();
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => {});
      return;
    }
    // Like the SQLite store's poll timer, listening alone does not keep the process alive.
    (client as unknown as { connection?: { stream?: { unref?(): void } } }).connection?.stream?.unref?.();
    this.client = client;
    this.retryMs = 100;
    // Anything sent before LISTEN was active (at start, or while reconnecting) was missed: ring once.
    this.change = undefined;
    this.ring();
  }

  /** Adds what a notification names to the next ring's change. */
  private note(payload: string | undefined): void {
    if (!payload) {
      this.change = undefined;
      return;
    }
    const change = this.change;
    if (!change) return; // the next ring says "everything" already
    for (const item of payload.split(" ")) {
      const id = item.slice(2);
      switch (item.slice(0, 2)) {
        case "r:":
          change.created.push(id);
          break;
        case "p:": {
          const at = id.indexOf("@");
          change.payloads.push(
            at < 0 ? { runId: id } : { runId: id.slice(0, at), lastOwner: id.slice(at + 1) },
          );
          break;
        }
        case "c:":
          change.cancels.push(id);
          break;
        default:
          // Sent by a newer Latch: look at everything rather than miss it.
          this.change = undefined;
          return;
      }
    }
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.retryTimer) return;
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, 5_000);
    this.retryTimer = setTimeout(() => void this.connect(), delay);
    this.retryTimer.unref();
  }

  /**
   * Rings at once when quiet (an idle worker's resume latency is one notification), then at most
   * once per `burstMs` while notifications keep coming, with a last ring after the burst so none
   * is lost. Each ring costs every worker a claim: during a burst of starts or payloads, ringing
   * per notification would multiply queries, not throughput.
   */
  private ring(): void {
    if (this.quietUntil > Date.now() || this.pending) {
      this.trailing = true;
      return;
    }
    this.pending = true;
    setImmediate(() => {
      this.pending = false;
      this.quietUntil = Date.now() + this.burstMs;
      const change = this.change;
      this.change = emptyChange();
      for (const l of this.listeners) l(change);
      this.armTrailing();
    });
  }

  private armTrailing(): void {
    if (this.trailingTimer) return;
    this.trailingTimer = setTimeout(() => {
      this.trailingTimer = undefined;
      if (!this.trailing) return;
      this.trailing = false;
      this.quietUntil = 0;
      this.ring();
    }, this.burstMs);
    this.trailingTimer.unref();
  }
}

/** The name of a worker's LISTEN connection (at most 63 characters are kept). */
function workerName(owner: string): string {
  return `latch-worker ${owner}`;
}

function emptyChange(): StoreChange {
  return { created: [], payloads: [], cancels: [] };
}
