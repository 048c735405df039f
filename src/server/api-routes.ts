import type { Hono } from "hono";
import type { Client } from "../client/client.js";
import {
  DeliveryPendingError,
  HookNotFoundError,
  InvalidArgumentError,
  LatchError,
  quoteInput,
  RunNotFoundError,
} from "../errors.js";
import { parseDuration } from "../replay/duration.js";
import { type HookStatus, RUN_STATUSES } from "../store/records.js";
import { describe, onlyFields, optionalString, queryEnum, queryInt, readJsonObject } from "./inputs.js";
import type { ServerMetrics } from "./metrics.js";
import { HttpError } from "./problem.js";

const HOOK_STATUSES: readonly HookStatus[] = ["pending", "expired", "disposed"];

export interface ApiDeps {
  client: Client;
  metrics: ServerMetrics;
  maxBodyBytes: number;
}

/** The JSON API under /api: thin handlers over the Client; every error is thrown and mapped once. */
export function mountApi(api: Hono, { client, metrics, maxBodyBytes }: ApiDeps): void {
  api.post("/runs", async (c) => {
    const body = await readJsonObject(
      c.req.raw,
      maxBodyBytes,
      '{"workflow":"order_approval","input":"order-1"}',
    );
    onlyFields(body, ["workflow", "input", "args"]);
    const workflow = optionalString(body, "workflow");
    if (!workflow) {
      throw new InvalidArgumentError(
        "workflow",
        "is missing",
        'Send the name of a workflow, such as {"workflow":"order_approval"}.',
      );
    }
    if ("input" in body && "args" in body) {
      throw new InvalidArgumentError(
        "args",
        "was sent with input",
        "Send input (one argument) or args (an array of arguments), not both.",
      );
    }
    let args: unknown[] = [];
    if (body.args !== undefined) {
      if (!Array.isArray(body.args)) {
        throw new InvalidArgumentError(
          "args",
          `is ${describe(body.args)}, not an array`,
          'Send the arguments as an array, such as ["order-1", 2].',
        );
      }
      args = body.args;
    } else if ("input" in body) {
      args = [body.input];
    }
    const handle = await client.start(workflow, ...args);
    const run = await client.getRun(handle.id);
    return c.json(run, 201, { location: `/api/runs/${encodeURIComponent(handle.id)}` });
  });

  api.get("/runs", async (c) => {
    const q = c.req.query();
    const page = await client.runs.list({
      status: queryEnum(q.status, "status", RUN_STATUSES),
      workflow: q.workflow || undefined,
      limit: queryInt(q.limit, "limit", 1, 1000),
      cursor: q.cursor || undefined,
    });
    return c.json(page);
  });

  api.get("/runs/:id", async (c) => {
    const id = c.req.param("id");
    const run = await client.getRun(id);
    if (!run) throw new RunNotFoundError(id);
    return c.json(run);
  });

  api.get("/runs/:id/events", async (c) => {
    const id = c.req.param("id");
    const q = c.req.query();
    const afterSeq = queryInt(q.afterSeq, "afterSeq", 0, Number.MAX_SAFE_INTEGER);
    const limit = queryInt(q.limit, "limit", 1, 10_000) ?? 1000;
    return c.json(
      await client.eventsPage(id, {
        afterSeq,
        cursor: q.cursor || undefined,
        typePrefix: q.type || undefined,
        limit,
      }),
    );
  });

  api.post("/runs/:id/cancel", async (c) => c.json(await client.cancel(c.req.param("id"))));

  api.get("/hooks", async (c) => {
    const q = c.req.query();
    const status = queryEnum(q.status, "status", HOOK_STATUSES);
    if (status && status.length > 1) {
      throw new InvalidArgumentError(
        "status",
        "names several statuses",
        `Pass one of ${HOOK_STATUSES.join(", ")}.`,
      );
    }
    const page = await client.hooks.list({
      status: status?.[0],
      runId: q.runId || undefined,
      name: q.name || undefined,
      limit: queryInt(q.limit, "limit", 1, 1000),
      cursor: q.cursor || undefined,
    });
    return c.json(page);
  });

  api.get("/hooks/:token", async (c) => {
    const token = c.req.param("token");
    const hook = await client.hooks.get(token);
    if (!hook) throw new HookNotFoundError(token);
    return c.json(hook);
  });

  api.post("/hooks/:token/resume", async (c) => {
    const token = c.req.param("token");
    const started = performance.now();
    let outcome = "ok";
    try {
      const body = await readJsonObject(c.req.raw, maxBodyBytes, '{"payload":{"approved":true}}');
      onlyFields(body, ["payload", "idempotencyKey", "ifMissing"]);
      const idempotencyKey = optionalString(body, "idempotencyKey") ?? c.req.header("idempotency-key");
      const ifMissing = optionalString(body, "ifMissing");
      if (ifMissing !== undefined && ifMissing !== "error" && ifMissing !== "keep") {
        throw new InvalidArgumentError(
          "ifMissing",
          `${quoteInput(ifMissing)} is not an option`,
          'Use "error" or "keep".',
        );
      }
      const hook = await client.hooks.get(token);
      if (hook?.kind === "webhook") {
        throw new HttpError(
          409,
          "HOOK_IS_WEBHOOK",
          "token: this hook is a webhook. Send the HTTP request to its URL, /webhooks/<token>.",
        );
      }
      const wait = c.req.query("wait");
      if (wait !== undefined && wait !== "delivered" && wait !== "recorded") {
        throw new InvalidArgumentError(
          "wait",
          `${JSON.stringify(wait)} is not an option`,
          "Use ?wait=delivered to wait for the worker's verdict, or leave it out.",
        );
      }
      const waitTimeout = waitTimeoutOf(c.req.query("waitTimeout"));
      try {
        const result = await client.resumeHook(token, body.payload, {
          idempotencyKey,
          ifMissing,
          channel: "api",
          ...(wait ? { wait } : {}),
          ...(waitTimeout === undefined ? {} : { waitTimeout }),
        });
        return c.json(result, 200);
      } catch (err) {
        // Recorded, not yet taken by a worker: accepted for processing, as HTTP says it.
        if (!DeliveryPendingError.is(err)) throw err;
        return c.json({ ...err.result, delivered: false, detail: err.message }, 202);
      }
    } catch (err) {
      outcome =
        err instanceof LatchError ? (err instanceof HttpError ? err.errorCode : err.code) : "INTERNAL";
      throw err;
    } finally {
      metrics.resumeSeconds.observe({ route: "api", outcome }, (performance.now() - started) / 1000);
    }
  });
}

/** `?waitTimeout=`: milliseconds or a duration, at most 60 s (a proxy would cut a longer request). */
function waitTimeoutOf(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const ms = parseDuration(/^\d+$/.test(raw) ? Number(raw) : raw, "waitTimeout");
  if (ms > 60_000) {
    throw new InvalidArgumentError(
      "waitTimeout",
      `${raw} is longer than 60 s`,
      "Wait at most 60s per request; on a 202, ask again with the same Idempotency-Key to wait again.",
    );
  }
  return ms;
}
