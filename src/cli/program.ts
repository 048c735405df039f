import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { EXIT } from "../error-answers.js";
import { reportError } from "./output.js";

const EXIT_CODES = `
Exit codes:
  0  done                          5  payload does not match the hook's schema
  1  unexpected failure            6  conflict (a webhook's token, a taken token)
  2  bad command line or input     7  database unavailable / not a Latch database
  3  no such run, hook, workflow   8  run --wait: the run failed, was cancelled or timed out
  4  hook expired or disposed    130  interrupted, or a prompt was cancelled`;

const examples = (...lines: string[]) => `\nExamples:\n${lines.map((l) => `  $ ${l}`).join("\n")}\n`;

/** The `latch` command line. Command modules load on use, so `latch hooks list` starts fast. */
export function buildProgram(): Command {
  const program = new Command("latch")
    .description("Durable workflows whose runs wait on hooks: run them, inspect them, resume them.")
    .version(version(), "-v, --version")
    .option("--db <url>", "database URL (default: $LATCH_DATABASE_URL, else sqlite:.latch/latch.db)")
    .option("--json", "print one JSON document for scripts instead of tables")
    .option(
      "--create",
      "make the database if it does not exist (dev and worker always do; other commands refuse a missing one)",
    )
    .exitOverride()
    .showHelpAfterError("(add --help for usage)")
    .addHelpText(
      "after",
      examples(
        "latch dev examples/order-approval.ts",
        `latch run order_approval --input '"order-1"' --wait`,
        "latch hooks list --status pending",
        "latch hooks resume",
        "latch --db sqlite:/srv/latch.db runs list --status failed --json",
      ) + EXIT_CODES,
    );

  program
    .command("dev")
    .description(
      "run a file's workflows and the HTTP server on the embedded database; print how to resume each pending hook",
    )
    .argument("<file>", "a .ts or .js file exporting workflows")
    .option("-p, --port <port>", "HTTP port (0: any free port)", "8787")
    .option("--host <host>", "interface to bind", "127.0.0.1")
    .option("--api-key <key...>", "API keys to accept (default: $LATCH_API_KEYS, else a new one, printed)")
    .option(
      "--public-url <url>",
      "base URL given out in webhook URLs (default: $LATCH_PUBLIC_URL, else the server's)",
    )
    .option("--start <workflow>", "start a run of this workflow once ready")
    .option("--input <json>", "the started run's argument, as JSON")
    .addHelpText(
      "after",
      examples(
        "latch dev examples/order-approval.ts",
        `latch dev flows.ts --port 0 --start order_approval --input '"order-1"'`,
      ),
    )
    .action(lazy(async (file: string, opts) => (await import("./commands/processes.js")).dev(file, opts)));

  program
    .command("worker")
    .description("run a file's workflows: claim ready runs and drive them until stopped (Ctrl-C)")
    .argument("<file>", "a .ts or .js file exporting workflows")
    .option("--concurrency <n>", "runs driven at once")
    .addHelpText(
      "after",
      examples(
        "latch worker src/workflows.ts",
        "LATCH_DATABASE_URL=sqlite:/srv/latch.db latch worker dist/workflows.js",
      ),
    )
    .action(lazy(async (file: string, opts) => (await import("./commands/processes.js")).worker(file, opts)));

  program
    .command("serve")
    .description("serve the HTTP API (no workflow code; workers run elsewhere on the same database)")
    .option("-p, --port <port>", "HTTP port (0: any free port)", "8787")
    .option("--host <host>", "interface to bind", "127.0.0.1")
    .option("--api-key <key...>", "API keys to accept (also $LATCH_API_KEYS, comma-separated); at least one")
    .option(
      "--public-url <url>",
      "base URL given out in webhook URLs (default: $LATCH_PUBLIC_URL, else the server's)",
    )
    .addHelpText(
      "after",
      examples(
        "LATCH_API_KEYS=$(openssl rand -base64 24) latch serve --port 8080",
        "latch serve --api-key k1 --api-key k2",
      ),
    )
    .action(lazy(async (opts) => (await import("./commands/processes.js")).serve(opts)));

  program
    .command("run")
    .description("start a run of a workflow by name")
    .argument("<workflow>", "the workflow's name")
    .option("--input <json>", "the workflow's argument, as JSON")
    .option("--args <json>", "several arguments, as a JSON array (instead of --input)")
    .option("--wait", "follow the run to its end (exit 8 unless it succeeds)")
    .addHelpText(
      "after",
      examples(
        `latch run order_approval --input '"order-1"'`,
        `latch run report --args '["2026-01", {"format":"pdf"}]' --wait --json`,
      ),
    )
    .action(
      lazy(async (workflow: string, opts) => (await import("./commands/run.js")).runWorkflow(workflow, opts)),
    );

  const runs = program
    .command("runs")
    .description("list, inspect and cancel runs")
    .addHelpText(
      "after",
      examples(
        "latch runs list --status suspended",
        "latch runs show run_01J9Z…",
        "latch runs logs run_01J9Z… --type hook",
      ),
    );
  runs
    .command("list")
    .description("list runs, newest first")
    .option(
      "--status <status>",
      "only these statuses (comma-separated): pending, running, suspended, succeeded, failed, cancelled, timed_out",
    )
    .option("--workflow <name>", "only runs of this workflow")
    .option("--limit <n>", "page size, 1 to 1000", "20")
    .option("--cursor <cursor>", "the next page (printed under the table)")
    .addHelpText(
      "after",
      examples(
        "latch runs list --status suspended",
        "latch runs list --workflow order_approval --limit 100 --json",
      ),
    )
    .action(lazy(async (opts) => (await import("./commands/runs.js")).listRuns(opts)));
  runs
    .command("show")
    .description("show a run: status, input, output or error, the hooks it waits on")
    .argument("<run-id>")
    .addHelpText(
      "after",
      examples("latch runs show run_01J9Z…", "latch runs show run_01J9Z… --json | jq .status"),
    )
    .action(lazy(async (id: string, opts) => (await import("./commands/runs.js")).showRun(id, opts)));
  runs
    .command("logs")
    .description("print a run's event log, oldest first")
    .argument("<run-id>")
    .option("--type <prefix>", 'only events whose type starts with this, such as "hook" or "step.failed"')
    .option("--after <seq>", "only events after this position")
    .option("--limit <n>", "at most this many events (then the next page's command is printed)")
    .option("--cursor <cursor>", "the next page (printed under the table, nextCursor in --json)")
    .addHelpText(
      "after",
      examples("latch runs logs run_01J9Z…", "latch runs logs run_01J9Z… --type hook --json"),
    )
    .action(lazy(async (id: string, opts) => (await import("./commands/runs.js")).runLogs(id, opts)));
  runs
    .command("cancel")
    .description("cancel a run (a finished run is left as it is)")
    .argument("<run-id>")
    .addHelpText("after", examples("latch runs cancel run_01J9Z…"))
    .action(lazy(async (id: string, opts) => (await import("./commands/runs.js")).cancelRun(id, opts)));

  const hooks = program
    .command("hooks")
    .description("list, inspect and resume hooks")
    .addHelpText(
      "after",
      examples(
        "latch hooks list --status pending",
        "latch hooks info 'run_01J…:hook_01J…'",
        "latch hooks resume",
      ),
    );
  hooks
    .command("list")
    .description("list hooks, newest first")
    .option("--status <status>", "pending, expired or disposed")
    .option("--run <run-id>", "only hooks of this run")
    .option("--name <name>", "only hooks of this name")
    .option("--limit <n>", "page size, 1 to 1000", "20")
    .option("--cursor <cursor>", "the next page (printed under the table)")
    .addHelpText(
      "after",
      examples("latch hooks list --status pending", "latch hooks list --name manager_approval --json"),
    )
    .action(lazy(async (opts) => (await import("./commands/hooks.js")).listHooks(opts)));
  hooks
    .command("info")
    .description("show a hook: status, run, payload fields from its stored schema, how to resume it")
    .argument("<token>")
    .addHelpText("after", examples("latch hooks info 'run_01J…:hook_01J…'"))
    .action(lazy(async (token: string, opts) => (await import("./commands/hooks.js")).hookInfo(token, opts)));
  hooks
    .command("resume")
    .description(
      "send a payload to a hook; without a token pick one, without a payload answer field by field",
    )
    .argument("[token]", "the hook's token (default: pick a pending hook)")
    .option("--payload <json>", "the payload, as JSON")
    .option("--payload-file <file>", "read the payload from a JSON file (- for stdin)")
    .option(
      "--idempotency-key <key>",
      "a repeat with the same key and payload records nothing; another payload is refused (exit 6)",
    )
    .option("--keep-if-missing", "custom tokens: keep the payload for a hook not created yet")
    .option(
      "--wait [timeout]",
      "wait until the run's worker took the payload, checked by the hook's own schema (default 30s)",
    )
    .addHelpText(
      "after",
      examples(
        "latch hooks resume",
        "latch hooks resume 'run_01J…:hook_01J…'",
        `latch hooks resume 'run_01J…:hook_01J…' --payload '{"approved":true,"reviewer":"ann"}'`,
        "latch hooks resume 'run_01J…:hook_01J…' --payload-file approval.json",
        `latch hooks resume 'run_01J…:hook_01J…' --payload '{"approved":true,"reviewer":"ann"}' --wait 10s`,
      ),
    )
    .action(
      lazy(async (token: string | undefined, opts) =>
        (await import("./commands/hooks.js")).resumeHook(token, opts),
      ),
    );

  return program;
}

/** Adapts an action to receive the command's options merged with the global ones (--db, --json). */
function lazy(fn: (...args: any[]) => Promise<unknown>) {
  return async (...args: unknown[]) => {
    const cmd = args[args.length - 1] as Command;
    const positional = args.slice(0, cmd.registeredArguments.length);
    await fn(...positional, cmd.optsWithGlobals());
  };
}

/** Runs the CLI on `argv` and returns the exit code (errors reported on stderr). */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return EXIT.OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.code === "commander.helpDisplayed" || err.code === "commander.version"
        ? EXIT.OK
        : err.exitCode === 0
          ? EXIT.OK
          : EXIT.USAGE;
    }
    return reportError(err, Boolean(program.opts().json) || argv.includes("--json"));
  }
}

function version(): string {
  try {
    return JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")).version;
  } catch {
    return "0.0.0";
  }
}
