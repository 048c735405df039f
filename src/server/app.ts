import { readFileSync } from "node:fs";
import { Hono } from "hono";
import type { Client } from "../client/client.js";
import { type LatchError, serializeError } from "../errors.js";
import { consoleLogger, type Logger } from "../runtime/logger.js";
import { mountApi } from "./api-routes.js";
import { bearerAuth } from "./auth.js";
import { createMetrics, type ServerMetrics } from "./metrics.js";
import { openApiDocument } from "./openapi.js";
import { HttpError, problemResponse, statusOf, toProblem } from "./problem.js";
import { mountWebhooks } from "./webhook-routes.js";

export interface AppOptions {
  /** The client (or engine: createLatch's Latch is a Client) every route goes through. */
  client: Client;
  /** Bearer keys accepted on /api. None: every /api request is 401 (there is no open mode). */
  apiKeys: readonly string[];
  /** Largest request body, API and webhooks alike (default 1 MiB); larger is 413. */
  maxBodyBytes?: number;
  /** How long a manual webhook waits for the workflow's answer unless the webhook says (default 10 s). */
  webhookResponseTimeoutMs?: number;
  /** How long metrics counted from the store are reused (default 5 s). */
  metricsCacheMs?: number;
  /** Aborted when the server shuts down. */
  signal?: AbortSignal;
  logger?: Logger;
}

/** A Hono app carrying its metrics registry. */
export type LatchApp = Hono & { readonly metrics: ServerMetrics };

/**
 * The HTTP API as a Hono app: `/api/*` (bearer keys), `/webhooks/<token>`, `/openapi.json`,
 * `/healthz`, `/metrics`. Serve it with startServer(), or call `app.request()` in tests.
 *
 * @example
 * const client = await createClient();
 * const app = createApp({ client, apiKeys: [process.env.MY_KEY!] });
 * const res = await app.request("/api/hooks?status=pending", { headers: { authorization: `Bearer ${key}` } });
 */
export function createApp(options: AppOptions): LatchApp {
  const { client } = options;
  const logger = options.logger ?? consoleLogger;
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const metrics = createMetrics(client, options.metricsCacheMs);
  const app = new Hono();

  app.use(async (c, next) => {
    await next();
    metrics.requests.inc({
      method: c.req.method,
      route: c.req.routePath || "unmatched",
      status: String(c.res.status),
    });
  });
  app.onError((err, c) => {
    const status = statusOf(err);
    if (status === 500) logger.error(`${c.req.method} ${c.req.path} failed`, { error: serializeError(err) });
    // The store is down or closed: the operator needs the reason (a path, a connection error), the
    // caller only the 503; a stack trace would say nothing more.
    else if (status === 503)
      logger.warn(`${c.req.method} ${c.req.path}: ${(err as Error).message}`, {
        code: (err as LatchError).code,
      });
    // Only /api callers hold a key; everyone else (webhook senders, probes) gets generic details.
    const audience = c.req.path.startsWith("/api/") ? "operator" : "public";
    return problemResponse(toProblem(err, c.req.path, audience));
  });
  app.notFound((c) =>
    problemResponse(
      toProblem(
        new HttpError(404, "NOT_FOUND", `${c.req.method} ${c.req.path}: no such route. See /openapi.json.`),
        c.req.path,
      ),
    ),
  );

  app.get("/healthz", async (c) => {
    await client.runs.list({ limit: 1 });
    return c.json({ status: "ok" });
  });
  app.get("/metrics", async (c) =>
    c.body(await metrics.registry.metrics(), 200, { "content-type": metrics.registry.contentType }),
  );
  const doc = openApiDocument(packageVersion());
  app.get("/openapi.json", (c) => c.json(doc));

  const api = new Hono();
  api.use(bearerAuth(options.apiKeys));
  mountApi(api, { client, metrics, maxBodyBytes });
  app.route("/api", api);

  mountWebhooks(app, {
    client,
    metrics,
    maxBodyBytes,
    responseTimeoutMs: options.webhookResponseTimeoutMs ?? 10_000,
    signal: options.signal ?? new AbortController().signal,
  });
  return Object.assign(app, { metrics });
}

function packageVersion(): string {
  try {
    return (
      JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")).version ?? "0.0.0"
    );
  } catch {
    return "0.0.0";
  }
}
