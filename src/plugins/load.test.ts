import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { InvalidArgumentError } from "../errors.js";
import { loadConfiguredPlugins } from "./load.js";

const dir = mkdtempSync(join(tmpdir(), "latch-plugins-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function project(name: string, files: Record<string, string>): string {
  const root = join(dir, name);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(join(root, file, ".."), { recursive: true });
    writeFileSync(join(root, file), text);
  }
  return root;
}

it("loads plugins named in package.json: a package, and a local factory given options", async () => {
  const root = project("pkg", {
    "package.json": JSON.stringify({
      latch: { plugins: ["latch-plugin-audit", ["./local.mjs", { tag: "x" }]] },
    }),
    "node_modules/latch-plugin-audit/package.json": JSON.stringify({
      name: "latch-plugin-audit",
      main: "index.js",
    }),
    "node_modules/latch-plugin-audit/index.js":
      "module.exports = { plugin: { name: 'audit', interceptors: [] } };",
    "local.mjs":
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the file written holds a template literal
      "export default (opts) => ({ name: `local-${opts.tag}`, interceptors: [{ beforeStep() {} }] });",
  });
  const plugins = await loadConfiguredPlugins(root);
  expect(plugins.map((p) => p.name)).toEqual(["audit", "local-x"]);
  expect(plugins[1]?.interceptors).toHaveLength(1);
});

it("prefers latch.config.ts, loaded without a build step", async () => {
  const root = project("cfg", {
    "package.json": JSON.stringify({ latch: { plugins: ["ignored"] } }),
    "latch.config.ts": "const p: { name: string } = { name: 'typed' };\nexport default { plugins: [p] };\n",
  });
  expect((await loadConfiguredPlugins(root)).map((p) => p.name)).toEqual(["typed"]);
});

it("names the entry and the fix when a plugin cannot be found or is not one", async () => {
  const missing = project("missing", {
    "package.json": JSON.stringify({ latch: { plugins: ["nope-not-installed"] } }),
  });
  const err = await loadConfiguredPlugins(missing).catch((e: unknown) => e);
  expect(InvalidArgumentError.is(err)).toBe(true);
  expect((err as InvalidArgumentError).field).toBe('package.json "latch" plugins[0]');
  expect((err as Error).message).toContain("npm install nope-not-installed");
  const bad = project("bad", {
    "package.json": JSON.stringify({ latch: { plugins: ["./x.mjs"] } }),
    "x.mjs": "export default 42;",
  });
  expect(((await loadConfiguredPlugins(bad).catch((e: unknown) => e)) as Error).message).toContain(
    "exports no plugin",
  );
  expect(await loadConfiguredPlugins(project("none", { "package.json": "{}" }))).toEqual([]);
});
