import type { Context, Hono } from "hono";
import type { Client } from "../client/client.js";
import { InvalidArgumentError, LatchError } from "../errors.js";
import { newWebhookRequestId } from "../ids.js";
import { isTerminal } from "../store/records.js";
import {
  type NormalizedResponse,
  type RecordedWebhookResponse,
  WEBHOOK_RESPOND_STEP,
  type WebhookMetadata,
  type WebhookRequest,
} from "../workflow/webhook.js";
import { readBody } from "./inputs.js";
import type { ServerMetrics } from "./metrics.js";
import { HttpError } from "./problem.js";

export interface WebhookDeps {
  client: Client;
  metrics: ServerMetrics;
  maxBodyBytes: number;
  /** Default wait for a manual answer when the webhook did not set one. */
  responseTimeoutMs: number;
  /** Aborted when the server closes: requests held for a manual answer end at once. */
  signal: AbortSignal;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * `/webhooks/<token>[/…]`, any method: the capability URL of a webhook. The request is recorded as
 * the hook's payload, then answered 202, with the webhook's fixed response, or (manual) with the
 * response the workflow records in a `webhook.respond` step — the server polls the run's event log
 * for it, so no store change was needed.
 */
export function mountWebhooks(app: Hono, deps: WebhookDeps): void {
  const handler = (c: Context) => receive(c, deps);
  app.all("/webhooks/:token", handler);
  app.all("/webhooks/:token/*", handler);
}

async function receive(c: Context, deps: WebhookDeps): Promise<Response> {
  const { client, metrics } = deps;
  const token = c.req.param("token") ?? "";
  // A malformed token (hooks.get refuses it) is as unknown as any other; a store that cannot be read
  // is a 503, so that the sender tries again instead of taking its URL for a wrong one.
  const hook = await Promise.resolve()
    .then(() => client.hooks.get(token))
    .catch((err) => {
      if (InvalidArgumentError.is(err)) return undefined;
      throw err;
    });
  // A plain hook's token is not a capability for this route: answer exactly as for no hook at all.
  if (hook?.kind !== "webhook") {
    throw new HttpError(
      404,
      "WEBHOOK_NOT_FOUND",
      "url: no webhook has this URL. Check the URL the workflow gave out.",
    );
  }
  const bytes = await readBody(c.req.raw, deps.maxBodyBytes);
  const request = toWebhookRequest(c, bytes, client.clock.now());
  const started = performance.now();
  let outcome = "ok";
  let runId: string | undefined;
  try {
    runId = (await client.resumeHook(token, request)).runId;
  } catch (err) {
    outcome = err instanceof LatchError ? err.code : "INTERNAL";
    throw err;
  } finally {
    metrics.resumeSeconds.observe({ route: "webhook", outcome }, (performance.now() - started) / 1000);
  }
  const meta = (hook.metadata ?? {}) as Partial<WebhookMetadata>;
  const headers = { "x-latch-request-id": request.id };
  if (meta.respondWith === "manual" && runId) {
    const timeoutMs = meta.responseTimeoutMs ?? deps.responseTimeoutMs;
    const answer = await waitForAnswer(client, runId, request.id, timeoutMs, deps.signal);
    if (answer === "ended") {
      throw new HttpError(
        504,
        "WEBHOOK_NOT_ANSWERED",
        "the run ended without answering this request (webhook.respond was not called).",
      );
    }
    if (answer === "timeout") {
      throw new HttpError(
        504,
        "WEBHOOK_RESPONSE_TIMEOUT",
        `the workflow did not answer within ${timeoutMs} ms. The request is recorded and will be processed.`,
      );
    }
    return send(answer, headers);
  }
  if (meta.respondWith && typeof meta.respondWith === "object") return send(meta.respondWith, headers);
  return c.json({ accepted: true, requestId: request.id }, 202, headers);
}

function send(r: NormalizedResponse, extra: Record<string, string>): Response {
  const noBody = r.status === 204 || r.status === 205 || r.status === 304;
  return new Response(noBody ? null : r.body, { status: r.status, headers: { ...r.headers, ...extra } });
}

function toWebhookRequest(c: Context, bytes: Uint8Array, now: number): WebhookRequest {
  const url = new URL(c.req.url);
  const query: Record<string, string | string[]> = {};
  for (const key of new Set(url.searchParams.keys())) {
    const all = url.searchParams.getAll(key);
    query[key] = all.length === 1 ? all[0]! : all;
  }
  const headers: Record<string, string> = {};
  c.req.raw.headers.forEach((value, name) => {
    headers[name] = value;
  });
  const request: WebhookRequest = {
    id: newWebhookRequestId(),
    method: c.req.method,
    path: url.pathname,
    query,
    headers,
    body: "",
    receivedAt: now,
  };
  try {
    request.body = utf8.decode(bytes);
  } catch {
    request.body = Buffer.from(bytes).toString("base64");
    request.bodyEncoding = "base64";
  }
  return request;
}

/** Polls the run's log for the step answering `requestId`; backs off from 2 ms to 50 ms. */
async function waitForAnswer(
  client: Client,
  runId: string,
  requestId: string,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<NormalizedResponse | "ended" | "timeout"> {
  const deadline = Date.now() + timeoutMs;
  let afterSeq = 0;
  let delay = 2;
  for (;;) {
    // Status first: if the run had already ended, the events read next are its complete log.
    const ended = isTerminal((await client.getRun(runId))?.status ?? "failed");
    for (const e of await client.events(runId, { typePrefix: "step.completed", afterSeq })) {
      afterSeq = e.seq;
      if (e.type !== "step.completed" || e.name !== WEBHOOK_RESPOND_STEP) continue;
      const recorded = e.result as RecordedWebhookResponse | undefined;
      if (recorded?.requestId === requestId) {
        const { requestId: _id, ...response } = recorded;
        return response;
      }
    }
    if (ended) return "ended";
    if (Date.now() >= deadline || signal.aborted) return "timeout";
    await new Promise((resolve) => setTimeout(resolve, Math.min(delay, Math.max(1, deadline - Date.now()))));
    delay = Math.min(delay * 2, 50);
  }
}
