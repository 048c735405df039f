import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { buildProgram } from "../../src/cli/program.js";

/** Every command, found by walking the program (so a new command cannot miss its examples). */
function allCommands(cmd: Command, path: string[] = []): string[][] {
  return [
    path,
    ...cmd.commands.filter((c) => c.name() !== "help").flatMap((c) => allCommands(c, [...path, c.name()])),
  ];
}

async function help(path: string[]): Promise<string> {
  const program = buildProgram();
  let out = "";
  const capture = (c: Command) => {
    const write = (s: string) => {
      out += s;
    };
    c.configureOutput({ writeOut: write, writeErr: write });
    for (const sub of c.commands) capture(sub);
  };
  capture(program);
  await program.parseAsync(["node", "latch", ...path, "--help"]).catch((err) => {
    if (err.code !== "commander.helpDisplayed") throw err;
  });
  return out;
}

describe("--help", () => {
  const commands = allCommands(buildProgram());

  it("covers every command of the architecture", () => {
    expect(commands.map((c) => c.join(" "))).toEqual(
      expect.arrayContaining([
        "dev",
        "worker",
        "serve",
        "run",
        "runs list",
        "runs show",
        "runs logs",
        "runs cancel",
        "hooks list",
        "hooks info",
        "hooks resume",
      ]),
    );
  });

  it.each(commands.map((c) => [c.join(" ") || "(root)", c]))("%s shows examples", async (_, path) => {
    expect(await help(path as string[])).toMatch(/Examples:\n {2}\$ .*latch /);
  });

  it("documents the exit codes at the root", async () => {
    expect(await help([])).toMatch(/Exit codes:[\s\S]*4 {2}hook expired or disposed/);
  });
});
