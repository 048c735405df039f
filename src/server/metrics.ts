import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Client } from "../client/client.js";
import { RUN_STATUSES, type RunCounts } from "../store/records.js";

/** The server's Prometheus metrics, in a registry of its own (two servers in a process do not clash). */
export interface ServerMetrics {
  registry: Registry;
  resumeSeconds: Histogram<"route" | "outcome">;
  requests: Counter<"method" | "route" | "status">;
}

/**
 * Runs by status and pending hooks are counted from the store when scraped (two count queries), at
 * most once per `cacheMs`: scrapers that call often, or many at once, share one count.
 */
export function createMetrics(client: Client, cacheMs = 5_000): ServerMetrics {
  const registry = new Registry();
  let cached: { at: number; runs: RunCounts; hooks: number } | undefined;
  let inflight: Promise<NonNullable<typeof cached>> | undefined;
  const snapshot = async () => {
    if (cached && Date.now() - cached.at < cacheMs) return cached;
    inflight ??= countAll(client).finally(() => {
      inflight = undefined;
    });
    cached = await inflight;
    return cached;
  };

  new Gauge({
    name: "latch_runs",
    help: "Runs by status.",
    labelNames: ["status"],
    registers: [registry],
    async collect() {
      const s = await snapshot();
      for (const status of RUN_STATUSES) this.set({ status }, s.runs[status]);
    },
  });
  new Gauge({
    name: "latch_hooks_pending",
    help: "Hooks waiting for a payload.",
    registers: [registry],
    async collect() {
      this.set((await snapshot()).hooks);
    },
  });
  const resumeSeconds = new Histogram({
    name: "latch_hook_resume_duration_seconds",
    help: "Time to validate and record a hook payload (HTTP resume and webhook deliveries).",
    labelNames: ["route", "outcome"],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  });
  const requests = new Counter({
    name: "latch_http_requests_total",
    help: "HTTP requests answered, by route and status.",
    labelNames: ["method", "route", "status"],
    registers: [registry],
  });
  return { registry, resumeSeconds, requests };
}

async function countAll(client: Client) {
  const [runs, hooks] = await Promise.all([client.runs.count(), client.hooks.count({ status: "pending" })]);
  return { at: Date.now(), runs, hooks: hooks.pending };
}
