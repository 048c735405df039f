import * as p from "@clack/prompts";
import { PayloadValidationError } from "../errors.js";
import { validateAgainstJsonSchema } from "../schema/json-validate.js";
import { InterruptedError } from "./exit-codes.js";
import { enumValues, type Field, fieldsOf, type JsonSchema, typeLabel } from "./schema-text.js";

const SKIP = Symbol("skip");

/**
 * Asks for a payload field by field from the hook's stored JSON Schema: booleans as yes/no, enums
 * as a choice, optional fields skippable (Enter), every answer checked against its field's schema
 * and asked again until it fits. A schema that is not an object (or none) is asked as JSON.
 *
 * `only`: ask just these top-level keys again, keeping the other answers of `previous`.
 */
export async function promptPayload(
  schema: unknown,
  options: { previous?: Record<string, unknown>; only?: Set<string> } = {},
): Promise<unknown> {
  const fields = fieldsOf(schema);
  if (fields.length === 0) {
    return promptJson("payload (JSON)", (schema ?? undefined) as JsonSchema | undefined, true, schema);
  }
  return promptObject(fields, schema, options.previous ?? {}, options.only);
}

async function promptObject(
  fields: Field[],
  root: unknown,
  previous: Record<string, unknown>,
  only?: Set<string>,
) {
  const out: Record<string, unknown> = { ...previous };
  for (const f of fields) {
    if (only && !only.has(f.key)) continue;
    delete out[f.key];
    const value = await promptField(f, root, previous[f.key]);
    if (value !== SKIP) out[f.key] = value;
  }
  return out;
}

async function promptField(f: Field, root: unknown, before: unknown): Promise<unknown> {
  const label = `${f.path} (${typeLabel(f)}${f.required ? "" : ", optional"})`;
  const message = typeof f.schema.description === "string" ? `${label} — ${f.schema.description}` : label;
  switch (f.kind) {
    case "boolean": {
      if (f.required)
        return answer(
          await p.confirm({ message, initialValue: typeof before === "boolean" ? before : true }),
        );
      const v = answer(
        await p.select<string>({
          message,
          options: [
            { value: "yes", label: "yes" },
            { value: "no", label: "no" },
            { value: "skip", label: "skip" },
          ],
        }),
      );
      return v === "skip" ? SKIP : v === "yes";
    }
    case "enum": {
      const values = enumValues(f.schema);
      const options = values.map((v, i) => ({
        value: String(i),
        label: typeof v === "string" ? v : JSON.stringify(v),
      }));
      if (!f.required) options.push({ value: "skip", label: "(skip)" });
      const v = answer(await p.select<string>({ message, options }));
      return v === "skip" ? SKIP : values[Number(v)];
    }
    case "object": {
      if (!f.required && !answer(await p.confirm({ message: `${label}: fill it in?`, initialValue: false })))
        return SKIP;
      return promptObject(
        fieldsOf(f.schema, root, `${f.path}.`),
        root,
        (before ?? {}) as Record<string, unknown>,
      );
    }
    case "string":
    case "number":
    case "integer": {
      const parse = (text: string): unknown => (f.kind === "string" ? text : Number(text));
      const text = answer(
        await p.text({
          message,
          placeholder: f.required ? undefined : "Enter to skip",
          initialValue: before === undefined ? undefined : String(before),
          validate: (raw) => {
            const t = raw ?? "";
            if (t === "" && !f.required) return undefined;
            if (f.kind !== "string" && (t.trim() === "" || !Number.isFinite(Number(t))))
              return f.kind === "integer" ? "enter a whole number" : "enter a number";
            return check(f.schema, parse(t), root);
          },
        }),
      );
      return (text ?? "") === "" && !f.required ? SKIP : parse(text ?? "");
    }
    default:
      return promptJson(label, f.schema, f.required, root);
  }
}

async function promptJson(message: string, schema: JsonSchema | undefined, required: boolean, root: unknown) {
  const text = answer(
    await p.text({
      message,
      placeholder: required ? 'JSON, such as {"ok":true} or "text"' : "JSON, or Enter to skip",
      validate: (raw) => {
        const t = (raw ?? "").trim();
        if (t === "") return required ? "enter a JSON value" : undefined;
        try {
          const value = JSON.parse(t);
          return schema ? check(schema, value, root) : undefined;
        } catch (err) {
          return `not JSON: ${(err as Error).message}`;
        }
      },
    }),
  );
  const t = (text ?? "").trim();
  return t === "" ? SKIP : JSON.parse(t);
}

/** The field's own schema's verdict, as a message to show, or undefined when it fits. */
function check(schema: JsonSchema, value: unknown, root: unknown): string | undefined {
  try {
    // Sub-schemas may point into the root's $defs: validate with them attached.
    const defs = (root as JsonSchema | undefined)?.$defs;
    validateAgainstJsonSchema(defs ? { ...schema, $defs: defs } : schema, value);
    return undefined;
  } catch (err) {
    if (PayloadValidationError.is(err))
      return err.issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ");
    return undefined; // a schema ajv cannot compile is checked whole, after the last answer
  }
}

function answer<T>(value: T): Exclude<T, symbol> {
  if (p.isCancel(value)) throw new InterruptedError("cancelled; nothing was sent");
  return value as Exclude<T, symbol>;
}
