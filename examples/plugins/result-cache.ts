/**
 * A result-cache plugin: a step whose inputs were seen before is skipped and given the result
 * recorded then. The engine records the cached result as the step's result (`step.completed` with
 * `skipped: true`), so a replay of the run returns the same value without asking the cache again.
 *
 * Only steps you opt in are cached, and only steps made with `defineStep`: their arguments are
 * `ctx.input`. An inline `step(name, fn)` has no visible input (what it uses is closed over), so a
 * key of its name alone would serve one input's result for another; such steps are never cached.
 */
import { createHash } from "node:crypto";
import type { InterceptorContext, LatchPlugin } from "../../src/index.js";

/**
 * Where cached results live: a Map by default; Redis or a table work the same. Values are JSON
 * text, the form in which Latch records step results anyway.
 */
export interface ResultCacheStore {
  get(key: string): string | undefined | Promise<string | undefined>;
  set(key: string, value: string): unknown;
}

export interface ResultCacheOptions {
  /** The steps to cache: a list of step names, or a predicate on the step about to run. */
  steps: readonly string[] | ((ctx: InterceptorContext) => boolean);
  /** Default: an in-memory Map, shared by every run of this engine. */
  store?: ResultCacheStore;
  /** Called on every hit, with the key (for logs or metrics). */
  onHit?: (ctx: InterceptorContext, key: string) => void;
}

const KEY = "resultCache.key";

/**
 * Creates the result-cache plugin. A hit skips the step (and every interceptor listed after this
 * one); a failed step is never cached.
 *
 * @example
 * const latch = await createLatch({
 *   workflows: [enrich],
 *   plugins: [resultCachePlugin({ steps: ["geocode", "fetch_rates"] })],
 * });
 */
export function resultCachePlugin(options: ResultCacheOptions): LatchPlugin {
  const store = options.store ?? new Map<string, string>();
  const steps = options.steps;
  const wanted = typeof steps === "function" ? steps : (ctx: InterceptorContext) => steps.includes(ctx.step);
  return {
    name: "result-cache",
    interceptors: [
      {
        name: "result-cache",
        async beforeStep(ctx) {
          if (ctx.input === undefined || !wanted(ctx)) return undefined;
          const key = cacheKey(ctx);
          if (key === undefined) return undefined;
          const hit = await store.get(key);
          if (hit === undefined) {
            ctx.state[KEY] = key;
            return undefined;
          }
          options.onHit?.(ctx, key);
          return { status: "succeeded", output: (JSON.parse(hit) as { output?: unknown }).output };
        },
        async afterStep(ctx, result) {
          const key = ctx.state[KEY] as string | undefined;
          if (key === undefined || result.status !== "succeeded") return undefined;
          // Wrapped so that a step returning undefined is cached too.
          await store.set(key, JSON.stringify({ output: result.output }));
          return undefined;
        },
      },
    ],
  };
}

/**
 * The cache key of a step call: workflow, step name and a stable hash of its arguments, or
 * undefined when the arguments cannot be hashed faithfully (functions, cycles, class instances…).
 *
 * @example
 * cacheKey({ workflow: "enrich", step: "geocode", input: ["Paris"] } as InterceptorContext);
 * // '["enrich","geocode","8f0e…"]'
 */
export function cacheKey(ctx: Pick<InterceptorContext, "workflow" | "step" | "input">): string | undefined {
  const hash = stableHash(ctx.input);
  return hash === undefined ? undefined : JSON.stringify([ctx.workflow, ctx.step, hash]);
}

/**
 * A SHA-256 of a value's canonical form: object keys sorted, so `{ a, b }` and `{ b, a }` agree;
 * `toJSON()` honoured (a Date hashes as its ISO string). Undefined for values JSON cannot hold
 * faithfully, which must not share a key with another value.
 *
 * @example
 * stableHash({ city: "Paris", n: 1 }) === stableHash({ n: 1, city: "Paris" }); // true
 */
export function stableHash(value: unknown): string | undefined {
  const text = canonical(value, new Set());
  return text === undefined ? undefined : createHash("sha256").update(text).digest("hex");
}

function canonical(value: unknown, seen: Set<object>): string | undefined {
  if (value === null) return "null";
  switch (typeof value) {
    case "undefined":
      // Distinct from null: f(undefined) and f(null) may differ.
      return '"\\u0000undefined"';
    case "string":
    case "boolean":
      return JSON.stringify(value);
    case "number":
      return Number.isFinite(value) ? JSON.stringify(value) : undefined;
    case "object":
      break;
    default:
      return undefined;
  }
  const obj = value as object;
  if (typeof (obj as { toJSON?: unknown }).toJSON === "function") {
    return canonical((obj as { toJSON(): unknown }).toJSON(), seen);
  }
  if (seen.has(obj)) return undefined;
  seen.add(obj);
  try {
    if (Array.isArray(obj)) {
      const parts: string[] = [];
      for (const item of obj) {
        const part = canonical(item, seen);
        if (part === undefined) return undefined;
        parts.push(part);
      }
      return `[${parts.join(",")}]`;
    }
    const proto = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) return undefined;
    const parts: string[] = [];
    for (const k of Object.keys(obj).sort()) {
      const v = (obj as Record<string, unknown>)[k];
      if (v === undefined) continue; // as JSON: an absent key and an undefined one are the same input
      const part = canonical(v, seen);
      if (part === undefined) return undefined;
      parts.push(`${JSON.stringify(k)}:${part}`);
    }
    return `{${parts.join(",")}}`;
  } finally {
    seen.delete(obj);
  }
}
