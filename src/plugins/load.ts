import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { InvalidArgumentError } from "../errors.js";
import type { LatchPlugin } from "./types.js";

/** A plugin in configuration: a plugin object, a package name or path, or [name, options] for a factory. */
export type PluginSpec = LatchPlugin | string | [string, unknown];

/** What `latch.config.ts` (default export) may hold. */
export interface LatchConfig {
  plugins?: PluginSpec[];
}

const CONFIG_FILES = ["latch.config.ts", "latch.config.mts", "latch.config.js", "latch.config.mjs"];

/**
 * The plugins a project configures, for processes started by the CLI: `plugins` of the default
 * export of latch.config.ts (or .mts/.js/.mjs), else `"latch": { "plugins": [...] }` in package.json.
 * A name is resolved from the project like an import; its module's default export (or `plugin`) is
 * a plugin, or a factory called with the options of a `[name, options]` entry.
 *
 * @example
 * // package.json: { "latch": { "plugins": ["latch-plugin-audit", ["./plugins/cache.ts", { "steps": ["quote"] }]] } }
 * const plugins = await loadConfiguredPlugins(process.cwd());
 */
export async function loadConfiguredPlugins(cwd: string = process.cwd()): Promise<LatchPlugin[]> {
  const found = await readConfig(cwd);
  if (!found) return [];
  const { specs, where } = found;
  if (!Array.isArray(specs)) {
    throw new InvalidArgumentError(
      `${where} plugins`,
      "is not a list",
      'Write plugins: ["package-name", ...].',
    );
  }
  const out: LatchPlugin[] = [];
  for (const [i, spec] of specs.entries())
    out.push(await loadOne(spec as PluginSpec, cwd, `${where} plugins[${i}]`));
  return out;
}

async function readConfig(cwd: string): Promise<{ specs: unknown; where: string } | undefined> {
  for (const name of CONFIG_FILES) {
    const path = join(cwd, name);
    if (!existsSync(path)) continue;
    const config = unwrap(await importFile(path), (v) => "plugins" in v) as LatchConfig;
    return config.plugins === undefined ? undefined : { specs: config.plugins, where: name };
  }
  const pkgPath = join(cwd, "package.json");
  if (!existsSync(pkgPath)) return undefined;
  let pkg: { latch?: { plugins?: unknown } };
  try {
    pkg = JSON.parse(readFileSync(pkgPath, "utf8"));
  } catch (err) {
    throw new InvalidArgumentError(
      "package.json",
      `cannot be read (${(err as Error).message})`,
      "Fix its JSON.",
    );
  }
  return pkg.latch?.plugins === undefined
    ? undefined
    : { specs: pkg.latch.plugins, where: 'package.json "latch"' };
}

async function loadOne(spec: PluginSpec, cwd: string, field: string): Promise<LatchPlugin> {
  if (isPlugin(spec)) return spec;
  const [name, options] =
    typeof spec === "string" ? [spec, undefined] : Array.isArray(spec) ? spec : [undefined, undefined];
  if (typeof name !== "string" || name === "") {
    throw new InvalidArgumentError(
      field,
      "is not a plugin",
      'Use a package name, a path, ["name", options] or a plugin object.',
    );
  }
  let path: string;
  try {
    path =
      name.startsWith(".") || name.startsWith("/")
        ? resolve(cwd, name)
        : createRequire(join(cwd, "package.json")).resolve(name);
  } catch {
    throw new InvalidArgumentError(
      field,
      `${JSON.stringify(name)} cannot be found from ${cwd}`,
      `Install it (npm install ${name}) or fix the path.`,
    );
  }
  let value = unwrap(await importFile(path), (v) => isPlugin(v) || typeof v === "function");
  if (typeof value === "function") value = await (value as (o: unknown) => unknown)(options);
  if (!isPlugin(value)) {
    throw new InvalidArgumentError(
      field,
      `${JSON.stringify(name)} exports no plugin`,
      "Export default a plugin ({ name, interceptors }) or a function returning one.",
    );
  }
  return value;
}

async function importFile(path: string): Promise<Record<string, unknown>> {
  if (/\.(c|m)?tsx?$/.test(path)) {
    const { tsImport } = await import("tsx/esm/api");
    return (await tsImport(pathToFileURL(path).href, import.meta.url)) as Record<string, unknown>;
  }
  return (await import(pathToFileURL(path).href)) as Record<string, unknown>;
}

/** Digs through ESM/CommonJS interop (`default`, `default.default`, `plugin`) to the value wanted. */
function unwrap(mod: unknown, wanted: (v: Record<string, unknown>) => boolean): unknown {
  let v = mod;
  for (let i = 0; i < 4 && v && typeof v === "object"; i++) {
    const o = v as Record<string, unknown>;
    if (wanted(o)) return o;
    v = o.default ?? o.plugin;
  }
  return v;
}

function isPlugin(v: unknown): v is LatchPlugin {
  return (
    typeof v === "object" && v !== null && typeof (v as LatchPlugin).name === "string" && !Array.isArray(v)
  );
}
