/** Component schemas and status texts of the OpenAPI document (openapi.ts). */
export const PROBLEM_TEXT: Record<number, string> = {
  400: "Bad input: malformed JSON, a wrong type, an unknown field or query value",
  401: "No or wrong API key",
  404: "No run or hook with this id or token",
  409: "The token belongs to a webhook",
  410: "The hook expired or was disposed",
  413: "Body larger than the server's limit",
  415: "Body is not JSON",
  422: "Payload does not match the hook's schema, or no worker knows the workflow",
  503: "Store unavailable",
  504: "The workflow did not answer a manual webhook in time",
};

export const SCHEMAS = {
  RunStatus: {
    type: "string",
    enum: ["pending", "running", "suspended", "succeeded", "failed", "cancelled", "timed_out"],
  },
  HookStatus: { type: "string", enum: ["pending", "expired", "disposed"] },
  StartRun: {
    type: "object",
    required: ["workflow"],
    additionalProperties: false,
    properties: {
      workflow: { type: "string", examples: ["order_approval"] },
      input: { description: "The workflow's argument (one). Omit for none." },
      args: { type: "array", description: "The workflow's arguments, for several; instead of input." },
    },
  },
  Run: {
    type: "object",
    required: ["id", "workflow", "status", "input", "createdAt", "updatedAt"],
    properties: {
      id: { type: "string" },
      workflow: { type: "string" },
      version: { type: "string" },
      status: { $ref: "#/components/schemas/RunStatus" },
      input: { type: "array" },
      output: {},
      error: {
        type: "object",
        properties: { name: { type: "string" }, message: { type: "string" }, code: { type: "string" } },
      },
      createdAt: { type: "integer", description: "ms since the epoch" },
      updatedAt: { type: "integer" },
      finishedAt: { type: "integer" },
      wakeAt: { type: "integer" },
    },
  },
  Hook: {
    type: "object",
    required: ["hookId", "runId", "token", "kind", "status", "createdAt", "payloads"],
    properties: {
      hookId: { type: "string" },
      runId: { type: "string" },
      token: { type: "string" },
      name: { type: "string" },
      kind: { type: "string", enum: ["hook", "webhook"] },
      status: { $ref: "#/components/schemas/HookStatus" },
      schema: { type: "object", description: "JSON Schema of the payload" },
      metadata: {},
      createdAt: { type: "integer" },
      expiresAt: { type: "integer" },
      closedAt: { type: "integer" },
      payloads: { type: "integer" },
    },
  },
  Event: {
    type: "object",
    required: ["seq", "at", "type"],
    properties: { seq: { type: "integer" }, at: { type: "integer" }, type: { type: "string" } },
    additionalProperties: true,
  },
  Resume: {
    type: "object",
    additionalProperties: false,
    properties: {
      payload: { description: "Validated against the hook's stored JSON Schema" },
      idempotencyKey: { type: "string", maxLength: 256 },
      ifMissing: { type: "string", enum: ["error", "keep"] },
    },
  },
  ResumeResult: {
    type: "object",
    required: ["kept", "repeated"],
    properties: {
      runId: { type: "string" },
      hookId: { type: "string" },
      kept: { type: "boolean" },
      repeated: { type: "boolean" },
      delivered: {
        type: "boolean",
        description:
          "With ?wait=delivered: true when the run's worker took the payload; false (202) when none did in time",
      },
    },
  },
  Problem: {
    type: "object",
    required: ["type", "title", "status", "detail", "code"],
    properties: {
      type: { type: "string", examples: ["urn:latch:error:HOOK_NOT_FOUND"] },
      title: { type: "string" },
      status: { type: "integer" },
      detail: { type: "string" },
      code: { type: "string" },
      instance: { type: "string" },
      field: { type: "string" },
      issues: {
        type: "array",
        items: { type: "object", properties: { path: { type: "string" }, message: { type: "string" } } },
      },
    },
  },
};
