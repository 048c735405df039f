import { execFile } from "node:child_process";
import {
  chmodSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, expect, it } from "vitest";

/**
 * What `npm publish` would ship, installed as a user installs it: pack a fresh checkout (no dist/,
 * as a clone has), unpack the tarball into a new project's node_modules, and use it from there —
 * the three entry points, a hook resumed from a second process that has no workflow code, and the
 * `latch` bin. No network: the runtime dependencies are linked from this repository's node_modules
 * (better-sqlite3 is not rebuilt).
 */
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "latch-pack-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// npm without the registry: nothing it does here needs one.
const NPM_ENV = {
  ...process.env,
  npm_config_offline: "true",
  npm_config_update_notifier: "false",
  npm_config_audit: "false",
  npm_config_fund: "false",
};

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = NPM_ENV) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(cmd, args, { cwd, env, timeout: 90_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const WORKFLOW = `
import { spawnSync } from "node:child_process";
import { z } from "zod";
import { createLatch, defineHook, defineWorkflow, step } from "latch";
import { createTestLatch } from "latch/testing";

const approval = defineHook("approval", z.object({ approved: z.boolean(), reviewer: z.string() }));
const order = defineWorkflow("order", async (id) => {
  const decision = await approval.create({ timeout: "1h" });
  return step("finish", () => ({ id, ...decision }));
});

// latch/testing: the same workflow with the hook mocked.
const t = await createTestLatch({ workflows: [order], mockHooks: { approval: { approved: true, reviewer: "mock" } } });
const mocked = await (await t.start(order, "o-mock")).result();
await t.close();

// latch: a worker on a file; the hook is resumed by another process (resume.mjs) that has no workflow code.
const latch = await createLatch({ workflows: [order], store: "sqlite:./latch.db" });
const run = await latch.start(order, "o-1");
let token;
for (let i = 0; i < 400 && !token; i++) {
  token = (await latch.hooks.list({ status: "pending", runId: run.id })).items[0]?.token;
  if (!token) await new Promise((r) => setTimeout(r, 25));
}
const resumed = spawnSync(process.execPath, ["resume.mjs", token], { encoding: "utf8" });
if (resumed.status !== 0) throw new Error("resume.mjs failed: " + resumed.stderr);
const result = await run.result();
await latch.close();
console.log(JSON.stringify({ mocked, result, token, resumedBy: resumed.stdout.trim() }));
`;

const RESUME = `
import { createClient } from "latch/client";
const client = await createClient({ store: "sqlite:./latch.db", create: false });
const out = await client.resumeHook(process.argv[2], { approved: true, reviewer: "ann" });
await client.close();
console.log(out.runId);
`;

it("the packed package installs and works: latch, latch/client, latch/testing and the bin", async () => {
  // A fresh checkout: the sources and the build set-up, no dist/.
  const checkout = join(work, "checkout");
  mkdirSync(checkout);
  for (const f of ["package.json", "tsconfig.json", "tsconfig.build.json", "README.md", "src"])
    cpSync(join(ROOT, f), join(checkout, f), { recursive: true });
  symlinkSync(join(ROOT, "node_modules"), join(checkout, "node_modules"));

  const packed = await run("npm", ["pack", "--pack-destination", work], checkout);
  expect(packed.stderr + packed.stdout).not.toMatch(/npm error/);
  expect(packed.code).toBe(0);
  const tarball = readdirSync(work).find((f) => f.endsWith(".tgz"));
  expect(tarball).toBeDefined();
  const listing = (await run("tar", ["-tzf", join(work, tarball!)], work)).stdout.split("\n");
  for (const f of ["dist/index.js", "dist/client/index.js", "dist/testing/index.js", "dist/cli/main.js"])
    expect(listing).toContain(`package/${f}`);
  expect(listing.some((f) => f.endsWith(".test.js"))).toBe(false);

  // "Install" it: unpack into node_modules/latch, link its declared dependencies, make the bin.
  const project = join(work, "project");
  const modules = join(project, "node_modules");
  mkdirSync(modules, { recursive: true });
  expect((await run("tar", ["-xzf", join(work, tarball!), "-C", modules], work)).code).toBe(0);
  renameSync(join(modules, "package"), join(modules, "latch"));
  const manifest = JSON.parse(readFileSync(join(modules, "latch/package.json"), "utf8"));
  for (const dep of [...Object.keys(manifest.dependencies), "zod"]) {
    mkdirSync(dirname(join(modules, dep)), { recursive: true });
    symlinkSync(join(ROOT, "node_modules", dep), join(modules, dep));
  }
  const bin = join(modules, ".bin/latch");
  mkdirSync(dirname(bin));
  symlinkSync(join("..", "latch", manifest.bin.latch), bin);
  chmodSync(join(modules, "latch", manifest.bin.latch), 0o755);
  writeFileSync(join(project, "package.json"), '{ "name": "app", "private": true, "type": "module" }\n');
  writeFileSync(join(project, "workflow.mjs"), WORKFLOW);
  writeFileSync(join(project, "resume.mjs"), RESUME);

  const app = await run(process.execPath, ["workflow.mjs"], project, process.env);
  expect(app.stderr).toBe("");
  expect(app.code).toBe(0);
  const out = JSON.parse(app.stdout.trim().split("\n").pop()!);
  expect(out.mocked).toEqual({ id: "o-mock", approved: true, reviewer: "mock" });
  expect(out.result).toEqual({ id: "o-1", approved: true, reviewer: "ann" });
  expect(out.resumedBy).toMatch(/^run_/);

  // A CommonJS project loads the ESM-only package with a dynamic import, as the README says.
  writeFileSync(
    join(project, "legacy.cjs"),
    'import("latch/client").then((m) => console.log(typeof m.createClient, typeof require));\n',
  );
  const cjs = await run(process.execPath, ["legacy.cjs"], project, process.env);
  expect(cjs.stdout.trim()).toBe("function function");

  const help = await run(bin, ["--help"], project, process.env);
  expect(help.code).toBe(0);
  expect(help.stdout).toMatch(/Usage: latch/);
  const hooks = await run(
    bin,
    ["--db", "sqlite:./latch.db", "hooks", "list", "--json"],
    project,
    process.env,
  );
  expect(hooks.code).toBe(0);
  expect(JSON.parse(hooks.stdout).items.map((h: { token: string }) => h.token)).toContain(out.token);
  // Its printed commands say how latch runs in this project.
  const missing = await run(bin, ["--db", "sqlite:./other.db", "runs", "list"], project, process.env);
  expect(missing.code).toBe(7);
  expect(missing.stderr).toContain("`npx latch worker <file>`");
}, 120_000);
