import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import { type PayloadIssue, PayloadValidationError } from "../errors.js";

const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: false });
const compiled = new Map<string, ValidateFunction>();

/**
 * Validates a payload against a stored JSON Schema, the check every process can make without the
 * workflow's code (CLI, HTTP server, another worker). Compiled schemas are cached by their text.
 * @throws PayloadValidationError listing every issue.
 */
export function validateAgainstJsonSchema(schema: unknown, value: unknown, token?: string): void {
  if (schema === undefined || schema === null || typeof schema !== "object") return;
  const key = JSON.stringify(schema);
  let validate = compiled.get(key);
  if (!validate) {
    const { $schema: _ignored, ...rest } = schema as Record<string, unknown>;
    validate = ajv.compile(rest);
    if (compiled.size > 1000) compiled.clear();
    compiled.set(key, validate);
  }
  if (!validate(value)) throw new PayloadValidationError((validate.errors ?? []).map(toIssue), token);
}

function toIssue(e: ErrorObject): PayloadIssue {
  const base = e.instancePath.split("/").slice(1).map(unescapePointer).join(".");
  if (e.keyword === "required") {
    const missing = (e.params as { missingProperty: string }).missingProperty;
    return { path: base ? `${base}.${missing}` : missing, message: "is required" };
  }
  if (e.keyword === "additionalProperties") {
    const extra = (e.params as { additionalProperty: string }).additionalProperty;
    return { path: base ? `${base}.${extra}` : extra, message: "is not allowed" };
  }
  if (e.keyword === "enum") {
    const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
    return { path: base, message: `must be one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}` };
  }
  return { path: base, message: e.message ?? e.keyword };
}

function unescapePointer(segment: string): string {
  return segment.replace(/~1/g, "/").replace(/~0/g, "~");
}
