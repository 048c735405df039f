/**
 * Reading the JSON Schema stored with a hook without its workflow's code: the fields to show in
 * `hooks info`, the prompts of `hooks resume`, and an example payload for printed commands.
 */
export type JsonSchema = Record<string, unknown>;

export interface Field {
  /** Dotted path from the payload's root, such as "reviewer" or "address.city". */
  path: string;
  key: string;
  schema: JsonSchema;
  required: boolean;
  kind: "boolean" | "enum" | "string" | "number" | "integer" | "object" | "json";
}

/** Follows a local `$ref` ("#/$defs/x", "#/definitions/x") to the schema it names. */
export function deref(schema: unknown, root: unknown): JsonSchema {
  let s = (schema ?? {}) as JsonSchema;
  for (let i = 0; i < 10 && typeof s.$ref === "string"; i++) {
    const m = /^#\/(\$defs|definitions)\/(.+)$/.exec(s.$ref);
    const target = m
      ? ((root as JsonSchema)?.[m[1]!] as Record<string, unknown> | undefined)?.[m[2]!]
      : undefined;
    if (!target) break;
    s = target as JsonSchema;
  }
  return s;
}

export function kindOf(schema: JsonSchema): Field["kind"] {
  if (Array.isArray(schema.enum) && schema.enum.every((v) => v === null || typeof v !== "object"))
    return "enum";
  if ("const" in schema) return "enum";
  const t = schema.type;
  if (t === "boolean" || t === "string" || t === "number" || t === "integer") return t;
  if (t === "object" && typeof schema.properties === "object" && schema.properties !== null) return "object";
  return "json";
}

/** The fields of an object schema, in declaration order; an empty list for any other schema. */
export function fieldsOf(schema: unknown, root: unknown = schema, prefix = ""): Field[] {
  const s = deref(schema, root);
  if (kindOf(s) !== "object") return [];
  const required = new Set(Array.isArray(s.required) ? (s.required as string[]) : []);
  return Object.entries(s.properties as Record<string, unknown>).map(([key, sub]) => {
    const resolved = deref(sub, root);
    return { path: prefix + key, key, schema: resolved, required: required.has(key), kind: kindOf(resolved) };
  });
}

export function enumValues(schema: JsonSchema): unknown[] {
  return "const" in schema ? [schema.const] : (schema.enum as unknown[]);
}

/** "string", "one of low | high", "integer ≥ 1", "JSON (array)". */
export function typeLabel(f: Pick<Field, "kind" | "schema">): string {
  if (f.kind === "enum")
    return `one of ${enumValues(f.schema)
      .map((v) => JSON.stringify(v))
      .join(" | ")}`;
  if (f.kind === "json") return `JSON${typeof f.schema.type === "string" ? ` ${f.schema.type}` : ""}`;
  return f.kind;
}

/** A payload that fits the schema's shape, for printed example commands. */
export function examplePayload(schema: unknown, root: unknown = schema): unknown {
  const s = deref(schema, root);
  if (s.default !== undefined) return s.default;
  if (Array.isArray(s.examples) && s.examples.length) return s.examples[0];
  switch (kindOf(s)) {
    case "boolean":
      return true;
    case "enum":
      return enumValues(s)[0];
    case "string":
      return s.format === "email" ? "someone@example.com" : "text";
    case "number":
    case "integer":
      return typeof s.minimum === "number" ? s.minimum : 1;
    case "object": {
      const out: Record<string, unknown> = {};
      for (const f of fieldsOf(s, root)) if (f.required) out[f.key] = examplePayload(f.schema, root);
      return out;
    }
    default:
      return s.type === "array" ? [] : s.type === "null" ? null : {};
  }
}
