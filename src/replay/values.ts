import { SerializationError } from "../errors.js";

/**
 * Values that Latch stores (workflow input and output, step results, hook payloads) are JSON.
 * `toJSON()` is honoured (a Date becomes its ISO string, as in JSON.stringify); anything JSON would
 * silently mangle or drop — functions, symbols, bigints, NaN, class instances such as Map — is refused
 * with the path of the offending field, so nothing is recorded that cannot be replayed as it was.
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
  if (typeof (obj as { toJSON?: unknown }).toJSON === "function") return;
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
      const kind = proto?.constructor?.name ?? "object";
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
      check(
        (obj as Record<string, unknown>)[key],
        /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`,
        seen,
        depth + 1,
        root,
      );
    }
  }
  seen.delete(obj);
}

function fail(path: string, problem: string, fix: string): never {
  throw new SerializationError(path, `${problem} and cannot be stored`, fix);
}
