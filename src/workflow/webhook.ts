import { createHmac, timingSafeEqual } from "node:crypto";
import { InvalidArgumentError } from "../errors.js";
import { newSecretToken } from "../ids.js";
import { type Duration, parseDuration } from "../replay/duration.js";
import { workflowExecution } from "../replay/scope.js";
import { type Hook, hookHandle } from "./hook.js";
import { step } from "./step.js";

/** One HTTP request received on a webhook URL, as recorded in the run's event log. */
export interface WebhookRequest {
  /** Unique per delivery; `webhook.respond(request, …)` names the request it answers by it. */
  id: string;
  method: string;
  /** The request path, such as "/webhooks/whk_…/github". */
  path: string;
  /** Query parameters; a parameter given more than once is an array. */
  query: Record<string, string | string[]>;
  /** Header names in lower case. Every header is recorded: keep secrets out of them. */
  headers: Record<string, string>;
  /** The raw body: UTF-8 text, or base64 when `bodyEncoding` is "base64" (not valid UTF-8). */
  body: string;
  bodyEncoding?: "base64";
  /** When the server received it (ms since the epoch): use it, not the clock, to check freshness. */
  receivedAt: number;
}

/** An HTTP response for the sender. An object body is sent as JSON. */
export interface WebhookResponse {
  status?: number;
  headers?: Record<string, string>;
  body?: string | Record<string, unknown> | unknown[];
}

/** What the webhook answers: "accepted" (202, the default), a fixed response, or "manual". */
export type RespondWith = "accepted" | "manual" | WebhookResponse;

export interface WebhookOptions {
  /**
   * "accepted" (default): 202 as soon as the request is recorded. A WebhookResponse: that response.
   * "manual": the server holds the request until the workflow calls `webhook.respond(request, …)`,
   * or answers 504 after `responseTimeout`.
   */
  respondWith?: RespondWith;
  /** Shown in listings (default "webhook"). */
  name?: string;
  /** After this the URL answers 410 Gone and awaiting throws HookExpiredError. */
  timeout?: Duration;
  /** "manual" only: how long the server waits for the workflow's answer (default "10s"). */
  responseTimeout?: Duration;
  /** Called once, after the webhook is registered (never again on replay). */
  onCreated?: (url: string, token: string) => unknown;
  /** Any JSON data shown with the hook. */
  metadata?: unknown;
}

/** A webhook inside a run: a hook whose payloads are HTTP requests sent to `url`. */
export interface Webhook extends Hook<WebhookRequest> {
  /** The capability URL to give the sender: `<public base URL>/webhooks/<token>`. */
  readonly url: string;
  /**
   * Answers a request of a `respondWith: "manual"` webhook. A durable step: replay does not answer twice.
   * @example const req = await hook; await hook.respond(req, { status: 200, body: { ok: true } });
   */
  respond(request: WebhookRequest | string, response: WebhookResponse): Promise<void>;
}

/** What the server reads back from the stored hook, without the workflow's code. */
export interface WebhookMetadata {
  respondWith: "accepted" | "manual" | NormalizedResponse;
  responseTimeoutMs?: number;
  data?: unknown;
}

export interface NormalizedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The step that records a manual answer; the server waits for it in the run's event log. */
export const WEBHOOK_RESPOND_STEP = "webhook.respond";
/** The recorded result of that step. */
export interface RecordedWebhookResponse extends NormalizedResponse {
  requestId: string;
}

/** The base of webhook URLs when none is set: the HTTP server's default address. */
export const DEFAULT_PUBLIC_URL = "http://127.0.0.1:8787";

/** The capability URL of a webhook: `<base>/webhooks/<token>`. */
export function webhookUrl(base: string, token: string): string {
  return `${base.replace(/\/+$/, "")}/webhooks/${encodeURIComponent(token)}`;
}

/**
 * Creates a webhook: a capability URL (with a random 160-bit token) whose requests are the payloads
 * of a hook. Await it for the next request; iterate it for all of them.
 *
 * @example
 * const hook = createWebhook({ respondWith: "manual" });
 * await step("register", () => github.createHook({ url: hook.url }));
 * const req = await hook;
 * await hook.respond(req, { status: 200, body: { ok: true } });
 */
export function createWebhook(options: WebhookOptions = {}): Webhook {
  const execution = workflowExecution("createWebhook");
  const respondWith = normalizeRespondWith(options.respondWith);
  const responseTimeoutMs =
    options.responseTimeout === undefined
      ? undefined
      : parseDuration(options.responseTimeout, "responseTimeout");
  if (responseTimeoutMs !== undefined && respondWith !== "manual") {
    throw new InvalidArgumentError(
      "responseTimeout",
      "only applies to manual responses",
      'Set respondWith: "manual" or drop it.',
    );
  }
  const onCreated = options.onCreated;
  // The engine running the run says where it is reached (createLatch's publicUrl, or its server).
  const base = execution.services?.publicUrl() ?? DEFAULT_PUBLIC_URL;
  const metadata: WebhookMetadata = { respondWith, responseTimeoutMs, data: options.metadata };
  const state = execution.callCreateHook({
    // Random on first execution only: replay takes the token recorded in hook.created.
    token: newSecretToken(),
    name: options.name ?? "webhook",
    kind: "webhook",
    timeoutMs: options.timeout === undefined ? undefined : parseDuration(options.timeout, "timeout"),
    metadata,
    onCreated: onCreated ? (token) => onCreated(webhookUrl(base, token), token) : undefined,
  });
  const hook = hookHandle<WebhookRequest>(state);
  return Object.assign(hook, {
    url: webhookUrl(base, state.token),
    respond: async (request: WebhookRequest | string, response: WebhookResponse): Promise<void> => {
      if (respondWith !== "manual") {
        throw new InvalidArgumentError(
          "respond",
          "was called on a webhook that answers by itself",
          'Create it with respondWith: "manual".',
        );
      }
      const requestId = typeof request === "string" ? request : request?.id;
      if (typeof requestId !== "string" || requestId === "") {
        throw new InvalidArgumentError(
          "request",
          "is not a webhook request",
          "Pass the request the webhook yielded.",
        );
      }
      const answer = normalizeResponse(response, "response");
      const recorded: RecordedWebhookResponse = { requestId, ...answer };
      await step(WEBHOOK_RESPOND_STEP, () => recorded, { retries: 0 });
    },
  });
}

function normalizeRespondWith(value: RespondWith | undefined): WebhookMetadata["respondWith"] {
  if (value === undefined || value === "accepted" || value === "manual") return value ?? "accepted";
  if (typeof value === "object" && value !== null) return normalizeResponse(value, "respondWith");
  throw new InvalidArgumentError(
    "respondWith",
    `${JSON.stringify(value)} is not a response`,
    'Use "accepted", "manual" or { status, headers, body }.',
  );
}

/** Checks a response given by the workflow and turns an object body into JSON text. */
export function normalizeResponse(value: WebhookResponse, field: string): NormalizedResponse {
  if (typeof value !== "object" || value === null) {
    throw new InvalidArgumentError(field, "is not a response object", "Pass { status, headers, body }.");
  }
  const status = value.status ?? 200;
  if (!Number.isInteger(status) || status < 200 || status > 599) {
    throw new InvalidArgumentError(
      `${field}.status`,
      `${status} is not an HTTP status`,
      "Use a whole number from 200 to 599.",
    );
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(value.headers ?? {})) {
    if (typeof v !== "string" || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k)) {
      throw new InvalidArgumentError(
        `${field}.headers`,
        `${JSON.stringify(k)} is not a header with a text value`,
        "Use string names and values.",
      );
    }
    headers[k.toLowerCase()] = v;
  }
  let body = "";
  if (typeof value.body === "string") body = value.body;
  else if (value.body !== undefined) {
    body = JSON.stringify(value.body);
    headers["content-type"] ??= "application/json";
  }
  return { status, headers, body };
}

// ---- signatures ----

export interface HmacCheck {
  secret: string | Uint8Array;
  /** The signed bytes (the raw request body for most providers). */
  payload: string | Uint8Array;
  /** The signature sent, without any "sha256=" prefix. */
  signature: string;
  algorithm?: "sha256" | "sha1" | "sha512";
  encoding?: "hex" | "base64";
}

/**
 * True when `signature` is the HMAC of `payload` under `secret`. Compared in constant time.
 * @example verifyHmacSignature({ secret, payload: req.body, signature: req.headers["x-signature"] ?? "" })
 */
export function verifyHmacSignature(check: HmacCheck): boolean {
  const encoding = check.encoding ?? "hex";
  if (typeof check.signature !== "string") return false;
  const pattern = encoding === "hex" ? /^[0-9a-fA-F]+$/ : /^[A-Za-z0-9+/_-]+={0,2}$/;
  if (!pattern.test(check.signature)) return false;
  const expected = createHmac(check.algorithm ?? "sha256", check.secret)
    .update(check.payload)
    .digest();
  const given = Buffer.from(check.signature, encoding);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export interface SignatureOptions {
  /** "github": X-Hub-Signature-256 (sha256=<hex>). "stripe": Stripe-Signature (t=…,v1=<hex>). */
  scheme: "github" | "stripe";
  secret: string;
  /** stripe: the largest accepted age of the timestamp, in seconds (default 300). */
  toleranceSeconds?: number;
  /** stripe: the time to check against (default the request's receivedAt, so replay agrees). */
  now?: number;
}

/**
 * Verifies a webhook request signed GitHub-style or Stripe-style. Deterministic (no clock read), so
 * it may run in the workflow body.
 * @example
 * const req = await hook;
 * if (!verifyWebhookSignature(req, { scheme: "github", secret: process.env.GH_SECRET! })) throw new FatalError("bad signature");
 */
export function verifyWebhookSignature(request: WebhookRequest, options: SignatureOptions): boolean {
  const body =
    request.bodyEncoding === "base64"
      ? Buffer.from(request.body, "base64")
      : Buffer.from(request.body, "utf8");
  if (options.scheme === "github") {
    const header = request.headers["x-hub-signature-256"] ?? "";
    if (!header.startsWith("sha256=")) return false;
    return verifyHmacSignature({ secret: options.secret, payload: body, signature: header.slice(7) });
  }
  if (options.scheme === "stripe") {
    const parts = (request.headers["stripe-signature"] ?? "").split(",").map((p) => p.trim().split("="));
    const t = parts.find(([k]) => k === "t")?.[1];
    const signatures = parts.filter(([k, v]) => k === "v1" && v).map(([, v]) => v as string);
    if (!t || !/^\d+$/.test(t) || signatures.length === 0) return false;
    const now = options.now ?? request.receivedAt;
    if (Math.abs(now / 1000 - Number(t)) > (options.toleranceSeconds ?? 300)) return false;
    const payload = Buffer.concat([Buffer.from(`${t}.`), body]);
    // Every candidate is checked, so the time taken does not say which one matched.
    let ok = false;
    for (const s of signatures)
      ok = verifyHmacSignature({ secret: options.secret, payload, signature: s }) || ok;
    return ok;
  }
  throw new InvalidArgumentError(
    "scheme",
    `${JSON.stringify(options.scheme)} is not a signature scheme`,
    'Use "github" or "stripe".',
  );
}
