import { ECHO_MAX, InvalidArgumentError, quoteInput } from "../errors.js";
import { HttpError } from "./problem.js";

/**
 * Reads a request body, refusing (413) more than `maxBytes` — from Content-Length before reading
 * when it is given, else while streaming, so an oversized body is never held in memory.
 */
export async function readBody(req: Request, maxBytes: number): Promise<Uint8Array> {
  const length = req.headers.get("content-length");
  if (length !== null) {
    if (Number(length) > maxBytes) throw tooLarge(maxBytes);
    // Node's HTTP parser holds the body to its declared length, so the whole-body read is bounded;
    // it is also @hono/node-server's fast path (no web Request or stream is built).
    return new Uint8Array(await req.arrayBuffer());
  }
  if (!req.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = req.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

function tooLarge(maxBytes: number): HttpError {
  return new HttpError(
    413,
    "PAYLOAD_TOO_LARGE",
    `body: is larger than ${maxBytes} bytes. Send a smaller body, or raise the server's limit (maxBodyBytes).`,
  );
}

/** Reads a JSON object body; malformed JSON and non-objects are 400s naming the fix. */
export async function readJsonObject(
  req: Request,
  maxBytes: number,
  example: string,
): Promise<Record<string, unknown>> {
  const type = req.headers.get("content-type");
  if (type && !/^application\/([\w.+-]*\+)?json\b/i.test(type)) {
    throw new HttpError(
      415,
      "UNSUPPORTED_MEDIA_TYPE",
      `content-type: ${type} is not JSON. Send Content-Type: application/json.`,
    );
  }
  const text = Buffer.from(await readBody(req, maxBytes)).toString("utf8");
  if (text.trim() === "") {
    throw new InvalidArgumentError("body", "is empty", `Send a JSON object such as ${example}.`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InvalidArgumentError(
      "body",
      `is not valid JSON (${(err as Error).message})`,
      `Send a JSON object such as ${example}.`,
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError(
      "body",
      `is ${describe(value)}, not a JSON object`,
      `Send a JSON object such as ${example}.`,
    );
  }
  return value as Record<string, unknown>;
}

/** Refuses fields this endpoint does not know, so a typo is an error instead of being ignored. */
export function onlyFields(body: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key)) {
      // The field is named by its sender: cut like any echoed input.
      throw new InvalidArgumentError(
        key.length > ECHO_MAX ? `${key.slice(0, ECHO_MAX)}…` : key,
        "is not a field of this request",
        `Use only ${allowed.join(", ")}.`,
      );
    }
  }
}

export function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const v = body[field];
  if (v === undefined) return undefined;
  if (typeof v !== "string")
    throw new InvalidArgumentError(field, `is ${describe(v)}, not a string`, `Send "${field}" as a string.`);
  return v;
}

/** A whole number from the query string, within bounds. */
export function queryInt(
  value: string | undefined,
  field: string,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined || value === "") return undefined;
  const n = Number(value);
  if (!/^-?\d+$/.test(value) || n < min || n > max) {
    throw new InvalidArgumentError(
      field,
      `${quoteInput(value)} is not a whole number from ${min} to ${max}`,
      `Pass ?${field}=<${min}..${max}>.`,
    );
  }
  return n;
}

/** One or several (comma-separated) values of a closed set from the query string. */
export function queryEnum<T extends string>(
  value: string | undefined,
  field: string,
  allowed: readonly T[],
): T[] | undefined {
  if (value === undefined || value === "") return undefined;
  const values = value.split(",").map((v) => v.trim());
  for (const v of values) {
    if (!allowed.includes(v as T)) {
      throw new InvalidArgumentError(
        field,
        `${quoteInput(v)} is not a known value`,
        `Use one of ${allowed.join(", ")}.`,
      );
    }
  }
  return values as T[];
}

export function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "object" ? "an object" : `a ${typeof v}`;
}
