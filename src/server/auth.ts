import { createHash, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { newApiKey } from "../ids.js";
import { HttpError, problemResponse, toProblem } from "./problem.js";

/**
 * A new API key: 192 random bits, base64url, prefixed so a leaked key is recognisable in logs and
 * secret scanners. @example const key = generateApiKey(); // "lk_3q2…"
 */
export function generateApiKey(): string {
  return newApiKey();
}

/** Keys from a comma- or whitespace-separated list such as LATCH_API_KEYS. */
export function parseApiKeys(value: string | undefined): string[] {
  return (value ?? "")
    .split(/[\s,]+/)
    .map((k) => k.trim())
    .filter((k) => k.length > 0);
}

/**
 * Requires `Authorization: Bearer <key>` with one of `keys`; 401 problem otherwise. Keys are
 * compared as SHA-256 digests in constant time, and every key is checked, so timing says nothing
 * about how much of a key was right or which key matched.
 */
export function bearerAuth(keys: readonly string[]): MiddlewareHandler {
  const digests = keys.map(digest);
  return async (c, next) => {
    const header = c.req.header("authorization");
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    let ok = false;
    if (match) {
      const given = digest(match[1]!);
      for (const d of digests) ok = timingSafeEqual(given, d) || ok;
    }
    if (!ok) {
      const why =
        digests.length === 0
          ? "the server has no API keys configured. Start it with LATCH_API_KEYS=<key> or --api-key <key> (latch dev prints one)."
          : header
            ? "the bearer key is not valid. Send one of the server's API keys."
            : "this route needs an API key. Send Authorization: Bearer <key>.";
      const problem = toProblem(new HttpError(401, "UNAUTHORIZED", `authorization: ${why}`), c.req.path);
      return problemResponse(problem, { "www-authenticate": 'Bearer realm="latch"' });
    }
    await next();
  };
}

function digest(key: string): Buffer {
  return createHash("sha256").update(key).digest();
}
