import { existsSync } from "node:fs";
import { extname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Workflow } from "../workflow/define-workflow.js";
import { EXIT, ExitError, UsageError } from "./exit-codes.js";

const TS = new Set([".ts", ".mts", ".cts", ".tsx"]);

/**
 * Imports a user's workflow file — TypeScript too, without a build step (through tsx's loader) —
 * and returns every workflow it exports (as named exports, a `workflows` array, or the default).
 * @example const workflows = await loadWorkflows("examples/order-approval.ts");
 */
export async function loadWorkflows(file: string): Promise<Workflow[]> {
  const path = resolve(file);
  if (!existsSync(path))
    throw new UsageError(
      "file",
      `${path} does not exist`,
      "Pass the path of a .ts or .js file that exports workflows.",
    );
  const url = pathToFileURL(path).href;
  let mod: Record<string, unknown>;
  // Running from source (npm run dev) a TypeScript loader is already in place; the built CLI
  // registers tsx's for this process: one shared module graph, so the workflow code and the engine
  // use the same module graph (a second copy of latch would work too: the run scope is global).
  if (TS.has(extname(path)) && !import.meta.url.endsWith(".ts")) {
    const { register } = await import("tsx/esm/api");
    register();
    // A .ts file in a package without "type": "module" is loaded as CommonJS: tsx's require hook too.
    (await import("tsx/cjs/api")).register();
  }
  try {
    mod = await import(url);
  } catch (err) {
    throw loadFailed(path, err);
  }
  const found = new Map<string, Workflow>();
  const consider = (v: unknown) => {
    if (isWorkflow(v)) found.set(v.name, v);
    else if (Array.isArray(v)) for (const w of v.filter(isWorkflow)) found.set(w.name, w);
  };
  for (const value of Object.values(mod)) consider(value);
  // A CommonJS module's exports arrive as the namespace's default.
  const cjs = mod.default;
  if (typeof cjs === "object" && cjs !== null && !isWorkflow(cjs))
    for (const v of Object.values(cjs)) consider(v);
  if (found.size === 0) {
    throw new UsageError(
      "file",
      `${path} exports no workflow`,
      'Export them: export const myFlow = defineWorkflow("my_flow", async () => { … }).',
    );
  }
  return [...found.values()];
}

function isWorkflow(v: unknown): v is Workflow {
  const w = v as Partial<Workflow> | null;
  return typeof w === "object" && w !== null && typeof w.name === "string" && typeof w.fn === "function";
}

function loadFailed(path: string, err: unknown): ExitError {
  return new ExitError(EXIT.ERROR, `could not load ${path}: ${(err as Error)?.stack ?? String(err)}`);
}
