import { PROBLEM_TEXT, SCHEMAS } from "./openapi-schemas.js";

/**
 * The OpenAPI 3.1 document of the HTTP API, served at /openapi.json. Written by hand next to the
 * routes (api-routes.ts, webhook-routes.ts); test/server checks every route in it answers.
 */
export function openApiDocument(version: string): Record<string, unknown> {
  const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
  const json = (schema: unknown) => ({ "application/json": { schema } });
  // Every route reads the store: each may answer 503 when it is closed or cannot be read.
  const problems = (...statuses: number[]) =>
    Object.fromEntries(
      [...new Set([...statuses, 503])].map((s) => [
        String(s),
        {
          description: PROBLEM_TEXT[s] ?? "Error",
          content: { "application/problem+json": { schema: ref("Problem") } },
        },
      ]),
    );
  const q = (name: string, description: string, schema: unknown = { type: "string" }) => ({
    name,
    in: "query",
    description,
    schema,
  });
  const p = (name: string, description: string) => ({
    name,
    in: "path",
    required: true,
    description,
    schema: { type: "string" },
  });
  const limit = q("limit", "Page size, 1 to 1000 (default 100).", {
    type: "integer",
    minimum: 1,
    maximum: 1000,
  });
  const cursor = q("cursor", "The nextCursor of the previous page.");
  const token = p("token", "The hook's token, percent-encoded.");
  return {
    openapi: "3.1.0",
    info: {
      title: "Latch HTTP API",
      version,
      description:
        "Start, read and cancel runs; list hooks and resume them with a payload. Every /api route needs " +
        "`Authorization: Bearer <key>`. Errors are RFC 9457 problem documents whose `code` is the typed error's code.",
    },
    security: [{ bearer: [] }],
    paths: {
      "/api/runs": {
        post: {
          summary: "Start a run of a workflow by name",
          requestBody: { required: true, content: json(ref("StartRun")) },
          responses: {
            "201": { description: "The run, persisted", content: json(ref("Run")) },
            ...problems(400, 401, 413, 415, 422),
          },
        },
        get: {
          summary: "List runs, newest first",
          parameters: [
            q("status", "One status or several, comma-separated.", ref("RunStatus")),
            q("workflow", "A workflow name."),
            limit,
            cursor,
          ],
          responses: {
            "200": { description: "A page of runs", content: json(page("Run")) },
            ...problems(400, 401),
          },
        },
      },
      "/api/runs/{id}": {
        get: {
          summary: "Read a run",
          parameters: [p("id", "The run id (run_…).")],
          responses: { "200": { description: "The run", content: json(ref("Run")) }, ...problems(401, 404) },
        },
      },
      "/api/runs/{id}/events": {
        get: {
          summary: "Read a run's event log, oldest first",
          parameters: [
            p("id", "The run id."),
            q("type", 'Only events whose type starts with this, such as "hook".'),
            q("afterSeq", "Only events after this position.", { type: "integer", minimum: 0 }),
            q("cursor", "The nextCursor of the previous page (the same as afterSeq)."),
            q("limit", "At most this many (1 to 10000, default 1000).", {
              type: "integer",
              minimum: 1,
              maximum: 10000,
            }),
          ],
          responses: {
            "200": {
              description: "Events; recorded values (input, result, output, payload) decoded",
              content: json({
                type: "object",
                properties: {
                  items: { type: "array", items: ref("Event") },
                  nextCursor: { type: "string", description: "Set when more events follow: pass as cursor." },
                  nextAfterSeq: { type: "integer", description: "The same position as a number (afterSeq)." },
                },
              }),
            },
            ...problems(400, 401, 404),
          },
        },
      },
      "/api/runs/{id}/cancel": {
        post: {
          summary: "Cancel a run (a finished run is left as it is)",
          parameters: [p("id", "The run id.")],
          responses: {
            "200": { description: "The run after the request", content: json(ref("Run")) },
            ...problems(401, 404),
          },
        },
      },
      "/api/hooks": {
        get: {
          summary: "List hooks, newest first",
          parameters: [
            q("status", "pending, expired or disposed.", ref("HookStatus")),
            q("runId", "Hooks of one run."),
            q("name", "Hooks of one name."),
            limit,
            cursor,
          ],
          responses: {
            "200": { description: "A page of hooks", content: json(page("Hook")) },
            ...problems(400, 401),
          },
        },
      },
      "/api/hooks/{token}": {
        get: {
          summary: "Read a hook: the pending one with this token, else the last one that had it",
          parameters: [token],
          responses: {
            "200": {
              description: "The hook, with the JSON Schema of its payload",
              content: json(ref("Hook")),
            },
            ...problems(400, 401, 404),
          },
        },
      },
      "/api/hooks/{token}/resume": {
        post: {
          summary:
            "Send a payload to a hook; validated against its stored schema and recorded before the answer",
          parameters: [
            token,
            {
              name: "Idempotency-Key",
              in: "header",
              schema: { type: "string" },
              description:
                "Same as idempotencyKey. The same key again with the same payload repeats the first answer; with another payload it is 409 IDEMPOTENCY_CONFLICT.",
            },
            {
              name: "wait",
              in: "query",
              schema: { type: "string", enum: ["recorded", "delivered"] },
              description:
                "delivered: answer once the run's worker took the payload (checked by the hook's own schema there): 200, or 422 with recorded: true if it turned it down, or 202 if no worker took it within waitTimeout",
            },
            {
              name: "waitTimeout",
              in: "query",
              schema: { type: "string", examples: ["10s", "5000"] },
              description: "With wait=delivered: how long to wait (default 30s, at most 60s).",
            },
          ],
          requestBody: { required: true, content: json(ref("Resume")) },
          responses: {
            "200": {
              description: "Recorded (and with wait=delivered, delivered)",
              content: json(ref("ResumeResult")),
            },
            "202": {
              description: "wait=delivered: recorded, not taken by a worker yet",
              content: json(ref("ResumeResult")),
            },
            ...problems(400, 401, 404, 409, 410, 413, 415, 422),
          },
        },
      },
      "/webhooks/{token}": {
        summary: "A webhook's capability URL: any method, any sub-path. No API key: the token is the secret.",
        parameters: [token],
        post: {
          security: [],
          summary: "Deliver a request to a webhook (GET, PUT, PATCH, DELETE… alike)",
          responses: {
            "202": { description: "Recorded (default response)" },
            default: { description: "The webhook's fixed response, or the workflow's (respondWith: manual)" },
            ...problems(404, 410, 413, 504),
          },
        },
      },
      "/healthz": {
        get: {
          security: [],
          summary: "Liveness and store check",
          responses: { "200": { description: "ok" }, ...problems(503) },
        },
      },
      "/metrics": {
        get: {
          security: [],
          summary: "Prometheus metrics",
          responses: { "200": { description: "text/plain exposition" }, ...problems(503) },
        },
      },
      "/openapi.json": {
        get: { security: [], summary: "This document", responses: { "200": { description: "OpenAPI 3.1" } } },
      },
    },
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "An API key (LATCH_API_KEYS)." },
      },
      schemas: SCHEMAS,
    },
  };
}

function page(item: string) {
  return {
    type: "object",
    required: ["items"],
    properties: {
      items: { type: "array", items: { $ref: `#/components/schemas/${item}` } },
      nextCursor: { type: "string" },
    },
  };
}
