import { existsSync } from "node:fs";
import { extname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { NamedHookSchema } from "../client/hook-schemas.js";
import { EXIT } from "../error-answers.js";
import { isStandardSchema } from "../schema/standard.js";
import type { Workflow } from "../workflow/define-workflow.js";
import { ExitError, UsageError } from "./exit-codes.js";

const TS = new Set([".ts", ".mts", ".cts", ".tsx"]);

/** What a workflow file exports that the engine takes. */
export interface LoadedFile {
  workflows: Workflow[];
  /** Its hook definitions (defineHook): the engine checks their payloads with their own schema. */
  hookDefinitions: NamedHookSchema[];
}

/**
 * Imports a user's workflow file — TypeScript too, without a build step (through tsx's loader) —
 * and returns every workflow and hook definition it exports (as named exports, in an array such as
 * `workflows`, or the default).
 * @example const { workflows } = await loadWorkflows("examples/order-approval.ts");
 */
export async function loadWorkflows(file: string): Promise<LoadedFile> {
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
  const hooks = new Map<string, NamedHookSchema>();
  const consider = (v: unknown) => {
    for (const item of Array.isArray(v) ? v : [v]) {
      if (isWorkflow(item)) found.set(item.name, item);
      else if (isHookDefinition(item)) hooks.set(item.name, item);
    }
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
  return { workflows: [...found.values()], hookDefinitions: [...hooks.values()] };
}

function isWorkflow(v: unknown): v is Workflow {
  const w = v as Partial<Workflow> | null;
  return typeof w === "object" && w !== null && typeof w.name === "string" && typeof w.fn === "function";
}

function isHookDefinition(v: unknown): v is NamedHookSchema {
  const h = v as { name?: unknown; schema?: unknown; create?: unknown } | null;
  return (
    typeof h === "object" &&
    h !== null &&
    typeof h.name === "string" &&
    typeof h.create === "function" &&
    isStandardSchema(h.schema)
  );
}

function loadFailed(path: string, err: unknown): ExitError {
  return new ExitError(EXIT.ERROR, `could not load ${path}: ${(err as Error)?.stack ?? String(err)}`);
}
