import type { StandardJSONSchemaV1, StandardSchemaV1 } from "@standard-schema/spec";
import { type PayloadIssue, PayloadValidationError } from "../errors.js";

export type { StandardSchemaV1 };

/** The payload type a Standard Schema produces. */
export type InferOutput<S extends StandardSchemaV1> = StandardSchemaV1.InferOutput<S>;

/**
 * The JSON Schema of what a sender must send, from any Standard Schema that can describe itself
 * (zod 4, valibot, arktype with their JSON Schema support). Undefined when it cannot: the hook then
 * validates only inside processes that loaded the workflow code.
 */
export function toJsonSchema(schema: StandardSchemaV1): Record<string, unknown> | undefined {
  const converter = (schema as unknown as Partial<StandardJSONSchemaV1>)["~standard"]?.jsonSchema;
  if (!converter || typeof converter.input !== "function") return undefined;
  try {
    return converter.input({ target: "draft-2020-12" });
  } catch {
    try {
      return converter.input({ target: "draft-07" });
    } catch {
      return undefined;
    }
  }
}

/**
 * Validates with the schema's own code (refinements and transforms included) and returns the parsed
 * value. @throws PayloadValidationError listing every issue.
 */
export async function parseWithSchema<S extends StandardSchemaV1>(
  schema: S,
  value: unknown,
  token?: string,
): Promise<InferOutput<S>> {
  let result = schema["~standard"].validate(value);
  if (result instanceof Promise) result = await result;
  if (result.issues) throw new PayloadValidationError(toPayloadIssues(result.issues), token);
  return result.value as InferOutput<S>;
}

export function toPayloadIssues(issues: readonly StandardSchemaV1.Issue[]): PayloadIssue[] {
  return issues.map((issue) => ({
    path: (issue.path ?? [])
      .map((p) => (typeof p === "object" && p !== null && "key" in p ? p.key : p))
      .map(String)
      .join("."),
    message: issue.message,
  }));
}

export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  const std = (value as { "~standard"?: { validate?: unknown } } | null)?.["~standard"];
  return typeof std?.validate === "function";
}
