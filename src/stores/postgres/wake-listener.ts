import pg from "pg";
import { parserFor } from "./connection.js";

/**
 * The cross-process doorbell: one dedicated connection (outside the pool, which would recycle it)
 * that LISTENs on the schema's channel. Bursts of notifications are rung as a few calls (see ring).
 * When the connection drops it reconnects with back-off; each time LISTEN becomes active it rings
 * once, because anything sent before (or while it was away) was missed.
 */
export class WakeListener {
  private readonly listeners = new Set<() => void>();
  private client: pg.Client | undefined;
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

  add(listener: () => void): () => void {
    this.listeners.add(listener);
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
      application_name: "latch-listen",
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
      if (msg.channel === this.channel) this.ring();
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
    this.ring();
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
   * is lost. Each ring costs every worker a claim and a look at its held runs: during a burst of
   * starts or payloads, ringing per notification would multiply queries, not throughput.
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
      for (const l of this.listeners) l();
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
