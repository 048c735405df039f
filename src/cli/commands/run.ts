import type { Client } from "../../client/client.js";
import type { RunInfo } from "../../client/run-info.js";
import { EXIT } from "../../error-answers.js";
import { isTerminal } from "../../store/records.js";
import { type GlobalOptions, withClient } from "../context.js";
import { ExitError, InterruptedError, UsageError } from "../exit-codes.js";
import { hint, shellQuote, webhookHint } from "../hints.js";
import { interactive, parseJsonOption } from "../inputs.js";
import { compact, print, printJson } from "../output.js";
import { spinner } from "../spinner.js";

/** `latch run <workflow>`: starts a run by name; with --wait, follows it to its end. */
export async function runWorkflow(
  workflow: string,
  opts: GlobalOptions & { input?: string; args?: string; wait?: boolean },
) {
  if (opts.input !== undefined && opts.args !== undefined) {
    throw new UsageError(
      "--args",
      "was given with --input",
      "Pass --input '<json>' (one argument) or --args '[...]' (several).",
    );
  }
  let args: unknown[] = [];
  if (opts.input !== undefined) args = [parseJsonOption(opts.input, "--input")];
  if (opts.args !== undefined) {
    const parsed = parseJsonOption(opts.args, "--args");
    if (!Array.isArray(parsed))
      throw new UsageError(
        "--args",
        "is not a JSON array",
        `Pass the arguments as an array, such as --args '["order-1", 2]'.`,
      );
    args = parsed;
  }
  await withClient(opts, async (client) => {
    const handle = await client.start(workflow, ...args);
    if (!opts.wait) {
      if (opts.json) return printJson(await client.getRun(handle.id));
      print(`Started ${handle.id} (${workflow}).`);
      print(`Follow it: ${hint(`runs show ${handle.id}`, opts)}`);
      return;
    }
    const run = await follow(client, handle.id, opts);
    if (opts.json) printJson(run);
    else if (run.status === "succeeded") print(`Run ${run.id} succeeded: ${compact(run.output, 4000)}`);
    if (run.status !== "succeeded") {
      const why = run.error ? `: ${run.error.name}: ${run.error.message}` : "";
      throw new ExitError(
        EXIT.RUN_FAILED,
        `run ${run.id} ended ${run.status}${why}. See ${hint(`runs logs ${run.id}`, opts)}`,
      );
    }
  });
}

/**
 * Polls the run until it ends, showing its current status: a spinner at a terminal, one line per
 * change otherwise (on stderr, so stdout stays the result).
 */
async function follow(client: Client, runId: string, opts: GlobalOptions): Promise<RunInfo> {
  // Ctrl-C stops the following, not the run: say so, and how to follow or cancel it (exit 130).
  const spin =
    interactive() && !opts.json
      ? spinner(`following ${runId} (Ctrl-C stops following; the run goes on)`)
      : undefined;
  let shown = "";
  const show = (text: string) => {
    if (text === shown) return;
    shown = text;
    if (spin) spin.message(text);
    else if (!opts.json) process.stderr.write(`${text}\n`);
  };
  let onSignal = () => {};
  const interrupted = new Promise<never>((_, reject) => {
    onSignal = () =>
      reject(
        new InterruptedError(
          `interrupted: run ${runId} was not cancelled and goes on. Follow it: ${hint(`runs show ${runId}`, opts)}; ` +
            `cancel it: ${hint(`runs cancel ${runId}`, opts)}`,
        ),
      );
  });
  process.once("SIGINT", onSignal);
  const startedAt = Date.now();
  try {
    for (;;) {
      const run = await Promise.race([client.getRun(runId), interrupted]);
      if (!run) throw new ExitError(EXIT.NOT_FOUND, `run ${runId} disappeared`);
      if (isTerminal(run.status)) {
        spin?.stop(`${runId}: ${run.status}`);
        return run;
      }
      show(await Promise.race([describe(client, run, Date.now() - startedAt, opts), interrupted]));
      await Promise.race([new Promise((r) => setTimeout(r, 150)), interrupted]);
    }
  } catch (err) {
    spin?.stop(
      InterruptedError.is(err)
        ? `${runId}: interrupted; the run goes on`
        : `${runId}: ${(err as Error).message}`,
    );
    throw err;
  } finally {
    process.off("SIGINT", onSignal);
  }
}

async function describe(client: Client, run: RunInfo, waited: number, opts: GlobalOptions): Promise<string> {
  if (run.status === "pending" && waited > 2000)
    return `${run.id}: pending — no worker has taken it yet (start one: ${hint("worker <file>", opts)})`;
  if (run.status !== "suspended") return `${run.id}: ${run.status}`;
  const [hook] = (await client.hooks.list({ runId: run.id, status: "pending", limit: 1 })).items;
  if (hook?.kind === "hook")
    return `${run.id}: suspended on hook ${hook.name ?? ""} — ${hint(`hooks resume ${shellQuote(hook.token)}`, opts)}`;
  if (hook)
    return `${run.id}: suspended on webhook ${hook.name ?? ""} — ${webhookHint(client.webhookUrl(hook.token))}`;
  return `${run.id}: suspended${run.wakeAt ? ` until ${new Date(run.wakeAt).toISOString()}` : ""}`;
}
