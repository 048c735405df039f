import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";

// replay/ must stay a pure function of (workflow, history): no storage, network, files or surfaces.
const FORBIDDEN = [
  /^node:(fs|net|http|https|child_process|dgram|worker_threads)/,
  /stores?\//,
  /\/cli\//,
  /\/server\//,
  /runtime\//,
  /better-sqlite3|postgres|^pg$/,
];

it("replay/ imports no I/O, store, runtime or surface module", () => {
  const dir = import.meta.dirname;
  const offenders: string[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))) {
    const text = readFileSync(join(dir, file), "utf8");
    for (const m of text.matchAll(/from\s+"([^"]+)"/g)) {
      if (FORBIDDEN.some((re) => re.test(m[1]!))) offenders.push(`${file} imports ${m[1]}`);
    }
  }
  expect(offenders).toEqual([]);
});
