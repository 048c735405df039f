import { SerializationError } from "../errors.js";

/**
 * Values that Latch stores (workflow input and output, step results, hook payloads) are JSON, and
 * this is the one place they are encoded. Anything JSON would silently mangle or drop — functions,
 * symbols, bigints, NaN, class instances such as Map, a Date or any object with `toJSON()` (it comes
 * back as a string or another shape), a string with a lone UTF-16 surrogate (not Unicode: PostgreSQL
 * and most JSON readers outside JavaScript refuse it) — is refused with the path of the offending
 * field, so nothing is recorded that cannot be replayed as it was.
 */
export function encodeValue(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  check(value, field, new Set(), 0, field);
  return JSON.stringify(value);
}

/**
 * How deeply objects and arrays may nest in a stored value. Real data stays far below; a payload
 * nested thousands of levels deep would overflow the stack of whoever walks it next (validation,
 * replay, a reader of the log), so it is refused where every value enters: the API, the CLI and
 * the client all go through encodeValue.
 */
export const MAX_VALUE_DEPTH = 512;

/** The inverse of encodeValue: `undefined` stays `undefined`. */
export function decodeValue<T = unknown>(text: string | undefined | null): T {
  return (text === undefined || text === null ? undefined : JSON.parse(text)) as T;
}

function check(value: unknown, path: string, seen: Set<object>, depth: number, root: string): void {
  switch (typeof value) {
    case "string":
      checkText(value, path);
      return;
    case "boolean":
      return;
    case "number":
      if (!Number.isFinite(value))
        fail(path, `is ${value}, which JSON cannot hold`, "Use null or a finite number.");
      return;
    case "undefined":
      return;
    case "bigint":
      fail(path, "is a bigint", "Convert it to a string (value.toString()) or a number.");
      return;
    case "function":
      fail(path, "is a function", "Return plain data (objects, arrays, strings, numbers, booleans, null).");
      return;
    case "symbol":
      fail(path, "is a symbol", "Use a string instead.");
      return;
  }
  if (value === null) return;
  const obj = value as object;
  if (obj instanceof Date) {
    fail(
      path,
      "is a Date, which JSON turns into a string (a replay would see the string)",
      "Pass date.toISOString() or date.getTime() and build the Date where it is used.",
    );
  }
  if (typeof (obj as { toJSON?: unknown }).toJSON === "function") {
    fail(
      path,
      `is a ${kindOf(obj)} whose toJSON() turns it into something else (a replay would see that)`,
      "Store the plain data it stands for (call toJSON() yourself if that is what you mean).",
    );
  }
  if (seen.has(obj)) fail(path, "refers back to itself (a cycle)", "Break the cycle before returning it.");
  if (depth >= MAX_VALUE_DEPTH) {
    // Named by its root: the path of the deepest field would be thousands of characters long.
    fail(
      root,
      `is nested more than ${MAX_VALUE_DEPTH} levels deep`,
      `Flatten it: Latch stores objects and arrays nested at most ${MAX_VALUE_DEPTH} levels deep`,
    );
  }
  seen.add(obj);
  if (Array.isArray(obj)) {
    for (let i = 0; i < obj.length; i++) check(obj[i], `${path}[${i}]`, seen, depth + 1, root);
  } else {
    const proto = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) {
      const kind = kindOf(obj);
      fail(
        path,
        `is a ${kind}, which JSON cannot hold`,
        kind === "Map"
          ? "Use Object.fromEntries(map) or an array of pairs."
          : kind === "Set"
            ? "Use Array.from(set)."
            : "Convert it to a plain object.",
      );
    }
    for (const key of Object.keys(obj)) {
      const at = /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
      checkText(key, at, "key");
      check((obj as Record<string, unknown>)[key], at, seen, depth + 1, root);
    }
  }
  seen.delete(obj);
}

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function checkText(text: string, path: string, what: "value" | "key" = "value"): void {
  const m = LONE_SURROGATE.exec(text);
  if (!m) return;
  const unit = m[0].charCodeAt(0).toString(16);
  fail(
    path,
    `${what === "key" ? "has a key that contains" : "contains"} a lone surrogate (\\u${unit} at position ${m.index}), which is not valid Unicode`,
    "Fix the text's encoding, or replace it with text.toWellFormed() (U+FFFD in its place).",
  );
}

function kindOf(obj: object): string {
  return Object.getPrototypeOf(obj)?.constructor?.name ?? "object";
}

function fail(path: string, problem: string, fix: string): never {
  throw new SerializationError(path, `${problem} and cannot be stored`, fix);
}
