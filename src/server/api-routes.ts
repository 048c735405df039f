import type { Hono } from "hono";
import type { Client } from "../client/client.js";
import {
  HookNotFoundError,
  InvalidArgumentError,
  LatchError,
  quoteInput,
  RunNotFoundError,
} from "../errors.js";
import { type HookStatus, RUN_STATUSES } from "../store/records.js";
import { describe, onlyFields, optionalString, queryEnum, queryInt, readJsonObject } from "./inputs.js";
import type { ServerMetrics } from "./metrics.js";
import { presentEvent } from "./present.js";
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
    if (!(await client.getRun(id))) throw new RunNotFoundError(id);
    const items = await client.events(id, { afterSeq, typePrefix: q.type || undefined, limit });
    const last = items[items.length - 1];
    return c.json({
      items: items.map(presentEvent),
      nextAfterSeq: items.length === limit && last ? last.seq : undefined,
    });
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
      const result = await client.resumeHook(token, body.payload, { idempotencyKey, ifMissing });
      return c.json(result, 200);
    } catch (err) {
      outcome =
        err instanceof LatchError ? (err instanceof HttpError ? err.errorCode : err.code) : "INTERNAL";
      throw err;
    } finally {
      metrics.resumeSeconds.observe({ route: "api", outcome }, (performance.now() - started) / 1000);
    }
  });
}
