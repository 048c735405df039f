import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { detect } from "./hints.js";

// A fake layout of each way latch gets run: the repository's source, a project's local install, a
// global install on the PATH.
const base = mkdtempSync(join(tmpdir(), "latch-hints-"));
afterAll(() => rmSync(base, { recursive: true, force: true }));

function file(path: string, text = "") {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, text);
  return path;
}

describe("the command printed hints start with", () => {
  const repo = join(base, "repo");
  const source = file(join(repo, "src/cli/main.ts"));
  file(join(repo, "package.json"), "{}");

  it("`npm run latch --` in the repository (the source through tsx)", () => {
    expect(detect(source, repo, "/usr/bin")).toBe("npm run latch --");
    mkdirSync(join(repo, "examples"), { recursive: true });
    expect(detect(source, join(repo, "examples"), "/usr/bin")).toBe("npm run latch --");
  });

  it("the repository's tsx and the source file, from elsewhere", () => {
    expect(detect(source, base, "/usr/bin")).toBe(`${join(repo, "node_modules/.bin/tsx")} ${source}`);
  });

  const project = join(base, "project");
  const installed = file(join(project, "node_modules/latch/dist/cli/main.js"));
  mkdirSync(join(project, "node_modules/.bin"), { recursive: true });
  symlinkSync(installed, join(project, "node_modules/.bin/latch"));

  it("`npx latch` for a project's local install, also under npm run (node_modules/.bin on PATH)", () => {
    const bin = join(project, "node_modules/.bin/latch");
    expect(detect(bin, project, "/usr/bin")).toBe("npx latch");
    expect(detect(bin, project, `${join(project, "node_modules/.bin")}:/usr/bin`)).toBe("npx latch");
  });

  it("`latch` when the bin on the PATH is this one", () => {
    const global = file(join(base, "global/lib/node_modules/latch/dist/cli/main.js"));
    chmodSync(global, 0o755);
    mkdirSync(join(base, "global/bin"), { recursive: true });
    symlinkSync(global, join(base, "global/bin/latch"));
    expect(detect(join(base, "global/bin/latch"), project, `/usr/bin:${join(base, "global/bin")}`)).toBe(
      "latch",
    );
  });

  it("`node <file>` for a copy run by path", () => {
    const loose = file(join(base, "tools/latch.js"));
    expect(detect(loose, base, "/usr/bin")).toBe("node tools/latch.js");
  });
});
